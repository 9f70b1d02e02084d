"""`voicebus up`, the main job, started and stopped the way a user does it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.helpers import assert_is_speech, free_port


def wait_for_health(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "voicebus up exited early"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                health = json.loads(response.read())
                if response.status == 200:
                    return health
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError("voicebus up did not become healthy")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_up_serves_then_stops_cleanly(tmp_path: Path, whisper: object) -> None:
    nats_port, http_port, wyoming_port = free_port(), free_port(), free_port()
    log = (tmp_path / "up.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "up", "--nats-port", str(nats_port),
         "--data-dir", str(tmp_path / "data"), "--workers", "1", "--threads", "2",
         "--set", f"openai.port={http_port}", "--set", "wyoming.host=127.0.0.1",
         "--set", f"wyoming.port={wyoming_port}"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "VOICEBUS_CONFIG": ""},
    )  # fmt: skip
    try:
        wait_for_health(f"http://127.0.0.1:{http_port}/health", process)
        assert port_open(wyoming_port)
        assert (tmp_path / "data" / "nats" / "jetstream").is_dir()

        request = urllib.request.Request(
            f"http://127.0.0.1:{http_port}/v1/audio/speech",
            data=json.dumps(
                {"model": "tts-1", "voice": "alloy", "input": "The hub is up and running.",
                 "response_format": "pcm"}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            pcm = response.read()
        assert_is_speech(pcm, 24000, "The hub is up and running.", whisper)
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(30)
        log.close()
    output = (tmp_path / "up.log").read_text(errors="replace")
    assert code == 0, output
    assert "voicebus stopped" in output
    assert "Traceback" not in output
    assert not port_open(nats_port) and not port_open(http_port)
