"""`voicebus up` when a part dies: its nats-server is started again and clients come back;
when `voicebus up` itself is killed, nothing it started is left running; a port already
taken is one clear line."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import STORY, assert_is_speech, free_port, speech_seconds_range
from tests.hub.process.test_up import wait_for_health

TEXT = "The bus came back."


class Up:
    def __init__(self, workdir: Path) -> None:
        self.http_port, self.nats_port = free_port(), free_port()
        self.log_path = workdir / "up.log"
        command = [
            sys.executable, "-m", "hub.cli", "up", "--nats-port", str(self.nats_port),
            "--data-dir", str(workdir / "data"), "--workers", "1", "--threads", "2",
            "--adapter", "openai", "--set", f"openai.port={self.http_port}",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "VOICEBUS_CONFIG": ""},
            )  # fmt: skip
        wait_for_health(f"http://127.0.0.1:{self.http_port}/health", self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self, pattern: str) -> list[int]:
        return [int(pid) for pid in re.findall(pattern, self.log())]

    def speak(self, text: str) -> bytes:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/v1/audio/speech",
            data=json.dumps(
                {"model": "tts-1", "voice": "alloy", "input": text, "response_format": "pcm"}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    running = Up(tmp_path)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_a_killed_nats_server_is_started_again(up: Up, whisper: object) -> None:
    (nats_pid,) = up.pids(r"nats-server listening on \S+ \(pid (\d+)")
    os.kill(nats_pid, signal.SIGKILL)
    began = time.monotonic()
    deadline = began + 15
    while True:  # a request during the outage fails with a clear error, then they succeed
        try:
            pcm = up.speak(TEXT)
            break
        except urllib.error.HTTPError as error:
            body = json.loads(error.read())["error"]
            assert error.code == 503, body
            assert time.monotonic() < deadline, up.log()
            time.sleep(0.3)
    assert time.monotonic() - began < 10, up.log()
    assert_is_speech(pcm, 24000, TEXT, whisper)
    log = up.log()
    assert "nats-server exited with code -9; starting it again in 1 s" in log
    assert len(up.pids(r"nats-server listening on \S+ \(pid (\d+)")) == 2
    assert not alive(nats_pid)
    assert log.count("Connect call failed") <= 2, log
    up.process.send_signal(signal.SIGINT)
    stopped = time.monotonic()
    assert up.process.wait(20) == 0, up.log()
    assert time.monotonic() - stopped < 10
    assert "Traceback" not in up.log()


def test_nothing_outlives_a_killed_up(up: Up) -> None:
    children = up.pids(r"nats-server listening on \S+ \(pid (\d+)")
    children += up.pids(r"started engine piper #\d+ \(pid (\d+)\)")
    assert len(children) == 2 and all(alive(pid) for pid in children)
    up.process.kill()
    up.process.wait()
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = [pid for pid in children if alive(pid)]
    assert not survivors, (survivors, children, up.log())


def test_a_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "hub.cli", "up", "--nats-port", str(port),
             "--data-dir", str(tmp_path / "data")],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "VOICEBUS_CONFIG": ""},
        )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(
        f"Error: the NATS port {port} is already taken by pid {os.getpid()} ("
    )
    assert lines[-1].endswith("stop it, or choose another port (--nats-port)")
    assert "Traceback" not in result.stderr


def test_killing_nats_under_load_never_ends_a_stream_quietly(up: Up) -> None:
    """Streams in flight when the bus dies finish whole, or end in an error the client sees
    (a status, or a body cut without its last chunk); none hangs or ends short and clean."""
    text = " ".join(STORY[:8])
    low, high = speech_seconds_range(text)
    outcomes: list[str] = []

    def stream_one() -> None:
        try:
            pcm = up.speak(text)
        except (urllib.error.HTTPError, http.client.IncompleteRead) as failure:
            outcomes.append(f"error {type(failure).__name__}")
            return
        seconds = len(pcm) / 2 / 24000
        outcomes.append("whole" if low <= seconds <= high else f"short {seconds:.1f} s")

    (nats_pid,) = up.pids(r"nats-server listening on \S+ \(pid (\d+)")
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(stream_one) for _ in range(6)]
        time.sleep(1.5)  # first audio is out for some, others are still queued
        os.kill(nats_pid, signal.SIGKILL)
        concurrent.futures.wait(futures, timeout=90)
    assert len(outcomes) == 6, ("hung", outcomes, up.log()[-6000:])
    assert not [outcome for outcome in outcomes if outcome.startswith("short")], outcomes
    # (Usually all six finish whole: the bus is back within a second, and sentences that
    # had not been heard yet are sent again.)
    deadline = time.monotonic() + 10  # and the service is back within seconds
    while True:
        try:
            up.speak("Back again.")
            break
        except urllib.error.HTTPError:
            assert time.monotonic() < deadline, up.log()
            time.sleep(0.3)
