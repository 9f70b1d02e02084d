"""The voice library on a real nats-server with JetStream: validation, storage, CLI."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from hub.audio import encode_all
from hub.bus import connect
from hub.cli.library import register
from hub.contract.errors import EngineUnavailableError, InvalidRequestError, VoiceNotFoundError
from hub.process.natsserver import NatsServer
from hub.store.library import (
    CLIP_RATE,
    LibrarySettings,
    VoiceLibrary,
    check_name,
    read_wav,
    write_wav,
)
from tests.helpers import speechlike, wav_clip


async def _library(url: str, bucket: str | None = None) -> tuple[object, VoiceLibrary]:
    nc = await connect(LibrarySettings(nats_url=url), "voicebus-test-library")
    return nc, await VoiceLibrary.open(nc, bucket or f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
async def library(nats_server: NatsServer) -> AsyncIterator[VoiceLibrary]:
    nc, lib = await _library(nats_server.url)
    yield lib
    await nc.drain()  # type: ignore[attr-defined]


async def test_add_stores_a_normalised_wav(library: VoiceLibrary) -> None:
    stereo = wav_clip(4.0, rate=44100, channels=2)
    meta = await library.add("alice", stereo, transcript=" Hello there. ", language="en-US")
    assert meta.name == "alice" and meta.transcript == "Hello there."
    assert meta.language == "en-US" and meta.sample_rate == CLIP_RATE
    assert meta.duration_seconds == pytest.approx(4.0, abs=0.02)
    samples, rate = read_wav(await library.get_clip("alice"))
    assert rate == CLIP_RATE and abs(len(samples) / rate - 4.0) < 0.02
    assert 0.05 < float(np.sqrt(np.mean(samples**2))) < 0.5
    assert await library.get_meta("alice") == meta
    assert [voice.name for voice in await library.list()] == ["alice"]


async def test_compressed_clips_are_decoded(library: VoiceLibrary) -> None:
    pcm = (speechlike(5.0, 24000) * 32767).astype("<i2").tobytes()
    meta = await library.add("bob.mp3-voice", encode_all(pcm, "mp3", 24000))
    assert meta.duration_seconds == pytest.approx(5.0, abs=0.1)


@pytest.mark.parametrize(
    ("clip", "match"),
    [
        (b"", "empty"),
        (b"this is not audio at all" * 100, "not decodable"),
        (wav_clip(1.5), "lasts 1.5 s"),
        (wav_clip(31.0, rate=8000), "lasts 31.0 s"),
        (write_wav(np.zeros(5 * 16000, dtype=np.int16), 16000), "silent"),
        (b"RIFF" + bytes(11 * 1024 * 1024), "MB"),
    ],
)
async def test_bad_clips_are_refused_with_reasons(
    library: VoiceLibrary, clip: bytes, match: str
) -> None:
    with pytest.raises(InvalidRequestError, match=match):
        await library.add("carol", clip)
    assert await library.list() == []


@pytest.mark.parametrize(
    "name", ["", "-dash", ".dot", "trailing.", "two..dots", "sp ace", "a/b", "x" * 65, "ä"]
)
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidRequestError, match="invalid voice name"):
        check_name(name)


def test_safe_names_pass() -> None:
    for name in ["a", "Alice_2", "en-US.narrator", "x" * 64]:
        assert check_name(name) == name


async def test_duplicate_names_are_refused(library: VoiceLibrary) -> None:
    await library.add("dave", wav_clip(3.5))
    with pytest.raises(InvalidRequestError, match="already exists"):
        await library.add("dave", wav_clip(4.5, seed=1))
    assert (await library.get_meta("dave")).duration_seconds == pytest.approx(3.5, abs=0.02)


async def test_rename_keeps_the_clip(library: VoiceLibrary) -> None:
    meta = await library.add("erin", wav_clip(3.5))
    await library.add("frank", wav_clip(3.5, seed=2))
    with pytest.raises(InvalidRequestError, match="already exists"):
        await library.rename("erin", "frank")
    renamed = await library.rename("erin", "erin2")
    assert renamed.digest == meta.digest and renamed.name == "erin2"
    assert [voice.name for voice in await library.list()] == ["erin2", "frank"]
    with pytest.raises(VoiceNotFoundError, match="no cloned voice 'erin'") as missing:
        await library.get_meta("erin")
    assert missing.value.available == ["erin2", "frank"]


async def test_delete_removes_unshared_clips_only(library: VoiceLibrary) -> None:
    clip = wav_clip(3.5)
    first = await library.add("gina", clip)
    await library.add("gina-copy", clip)
    await library.delete("gina")
    assert await library.get_clip("gina-copy")  # same digest, still there
    await library.delete("gina-copy")
    assert await library.list() == []
    with pytest.raises(Exception):  # noqa: B017 - the object itself is gone
        await library.get_clip_by_digest(first.digest)
    with pytest.raises(VoiceNotFoundError):
        await library.delete("gina")


async def test_watch_reports_changes(library: VoiceLibrary) -> None:
    await library.add("hank", wav_clip(3.5))
    seen: list[tuple[str, bool]] = []

    async def follow() -> None:
        async for name, meta in library.watch():
            seen.append((name, meta is not None))
            if len(seen) == 3:
                return

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.2)
    await library.rename("hank", "ivy")
    await asyncio.wait_for(task, 5)
    assert seen == [("hank", True), ("ivy", True), ("hank", False)]


async def test_voices_survive_a_restart(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats", port=-1)
    server.start()
    try:
        nc, library = await _library(server.url, "voicebus-voices")
        await library.add("jane", wav_clip(3.5), transcript="hi")
        await nc.drain()  # type: ignore[attr-defined]
        server.restart()
        nc, library = await _library(server.url, "voicebus-voices")
        assert (await library.get_meta("jane")).transcript == "hi"
        assert read_wav(await library.get_clip("jane"))[1] == CLIP_RATE
        await nc.drain()  # type: ignore[attr-defined]
    finally:
        server.stop()


def test_cli_manages_the_library(nats_server: NatsServer, tmp_path: Path) -> None:
    group = register(click.Group("voices"))
    runner = CliRunner()
    env = {"VOICEBUS_NATS_URL": nats_server.url, "VOICEBUS_VOICE_BUCKET": "cli-test"}
    clip = tmp_path / "clip.wav"
    clip.write_bytes(wav_clip(4.0))

    def run(*args: str) -> str:
        result = runner.invoke(group, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "added kim" in run("add", "kim", str(clip), "--transcript", "Hello.")
    assert "kim" in run("clones")
    assert "renamed kim to lee" in run("rename", "kim", "lee")
    assert [v["name"] for v in json.loads(run("clones", "--json"))] == ["lee"]
    bad = runner.invoke(group, ["add", "bad name", str(clip)], env=env)
    assert bad.exit_code == 1
    assert bad.output.startswith("Error: (invalid_request) invalid voice name")
    missing = runner.invoke(group, ["delete", "kim"], env=env)
    assert missing.exit_code == 1 and "voice_not_found" in missing.output
    assert "deleted lee" in run("delete", "lee")
    assert "no cloned voices" in run("clones")


async def test_a_server_without_jetstream_is_a_clear_error(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats", port=-1, jetstream=False)
    server.start()
    try:
        nc = await connect(LibrarySettings(nats_url=server.url), "voicebus-test-library")
        with pytest.raises(EngineUnavailableError, match="needs JetStream"):
            await VoiceLibrary.open(nc)
        await nc.drain()
    finally:
        server.stop()
