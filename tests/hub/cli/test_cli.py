"""The voicebus command line, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

from hub.audio import decode_to_pcm
from hub.process.natsserver import NatsServer
from tests.helpers import assert_is_speech, story

VOICEBUS = [sys.executable, "-m", "hub.cli"]


def voicebus(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOICEBUS_NATS_CONNECT_WAIT": "2"}
    return subprocess.run(
        [*VOICEBUS, *args], capture_output=True, text=True, check=check, timeout=120, env=env
    )


def test_say_writes_a_wav_of_the_words(
    nats_server: NatsServer, piper_engine: object, tmp_path: Path, whisper: object
) -> None:
    text = "Good evening. The kitchen lights are now switched off."
    out = tmp_path / "hello.wav"
    result = voicebus("say", text, "-o", str(out), "--nats-url", nats_server.url)
    assert "wrote" in result.stderr
    with wave.open(str(out)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (22050, 1, 2)
        pcm = wav.readframes(wav.getnframes())
    assert_is_speech(pcm, 22050, text, whisper)


def test_say_reads_a_file_and_encodes_by_extension(
    nats_server: NatsServer, piper_engine: object, tmp_path: Path
) -> None:
    text = story(6)
    source = tmp_path / "story.txt"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "story.mp3"
    voicebus("say", "-f", str(source), "-o", str(out), "--nats-url", nats_server.url)
    pcm, rate, channels = decode_to_pcm(out.read_bytes(), "mp3")
    assert (rate, channels) == (22050, 1)
    assert_is_speech(pcm, rate, text)


def test_say_errors_are_one_clear_line(
    nats_server: NatsServer, piper_engine: object, tmp_path: Path
) -> None:
    out = tmp_path / "x.wav"
    unknown = voicebus("say", "Hi.", "-v", "nobody", "-o", str(out), "--nats-url",
                       nats_server.url, check=False)  # fmt: skip
    assert unknown.returncode == 1
    assert "voice_not_found" in unknown.stderr and "en_US-joe-medium" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    assert not out.exists()
    bad_format = voicebus("say", "Hi.", "-o", str(tmp_path / "x.doc"), "--nats-url",
                          nats_server.url, check=False)  # fmt: skip
    assert bad_format.returncode == 1 and "format" in bad_format.stderr
    no_nats = voicebus("say", "Hi.", "-o", str(out), "--nats-url", "nats://127.0.0.1:1",
                       check=False)  # fmt: skip
    assert no_nats.returncode == 1 and "cannot reach NATS" in no_nats.stderr
    assert "Traceback" not in no_nats.stderr


def test_voice_library_commands_without_nats_say_one_line() -> None:
    """One "Error:" and the reason, not "Error: error: ..." (click adds its own prefix)."""
    for command in (["clones"], ["delete", "somebody"], ["rename", "a", "b"]):
        result = voicebus("voices", *command, "--nats-url", "nats://127.0.0.1:1", check=False)
        assert result.returncode == 1, result
        assert result.stderr == "Error: cannot reach NATS at nats://127.0.0.1:1: no answer\n"


def test_help_lists_every_command() -> None:
    result = voicebus("--help")
    for command in ("up", "engine", "adapter", "say", "voices", "engines"):
        assert command in result.stdout
    assert "--workers" in voicebus("up", "--help").stdout
