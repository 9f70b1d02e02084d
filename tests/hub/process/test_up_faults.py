"""`voicebus up` when a part dies: its nats-server is started again and clients come back;
when `voicebus up` itself is killed, nothing it started is left running; a port already
taken is one clear line."""

from __future__ import annotations

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

from tests.helpers import assert_is_speech
from tests.hub.process.up_support import (
    NATS_PID,
    WORKER_PID,
    Up,
    alive,
    check_whole,
    distinct_texts,
    durations,
    under_load,
)

TEXT = "The bus came back."
UNAVAILABLE = re.compile(r"(503 )?engine_unavailable: the message bus is unreachable.*", re.S)


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    running = Up(tmp_path)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_a_killed_nats_server_is_started_again(up: Up, whisper: object) -> None:
    (nats_pid,) = up.pids(NATS_PID)
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
    assert len(up.pids(NATS_PID)) == 2
    assert not alive(nats_pid)
    assert log.count("Connect call failed") <= 2, log
    up.process.send_signal(signal.SIGINT)
    stopped = time.monotonic()
    assert up.process.wait(20) == 0, up.log()
    assert time.monotonic() - stopped < 10
    assert "Traceback" not in up.log()


def test_nothing_outlives_a_killed_up(up: Up) -> None:
    children = up.pids(NATS_PID)
    children += up.pids(WORKER_PID)
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


def test_killing_nats_under_load_never_ends_a_stream_quietly(
    tmp_path: Path, whisper: object
) -> None:
    """Twelve different texts on two workers when the bus dies: every answer comes in (none
    hangs); each is whole (its length before the fault within 5 %, its own words: none mixed),
    or a typed 503 engine_unavailable, an SSE error event with that code, or a raw body cut
    before its end; none ends short and clean. A new request succeeds within 5 s of the
    nats-server running again."""
    up = Up(tmp_path, workers=2)
    try:
        texts = distinct_texts(12)
        before = durations(up, texts)
        (nats_pid,) = up.pids(NATS_PID)

        def kill() -> None:
            os.kill(nats_pid, signal.SIGKILL)

        def restarted() -> bool:
            return len(up.pids(NATS_PID)) == 2

        outcomes, recovery = under_load(up, texts, kill, after=1.5, back=restarted)
        log = up.log()
        print("outcomes:", [(o.kind, o.detail) for o in outcomes], f"back in {recovery} s")
        assert not [o.text for o in outcomes if o.kind == "hung"], ("hung", outcomes, log[-6000:])
        for outcome in outcomes:
            if outcome.kind == "whole":
                assert check_whole(outcome, before[outcome.text], whisper) == "whole", outcome.text
            elif outcome.kind == "error":
                assert UNAVAILABLE.fullmatch(outcome.detail), outcome.detail
            else:
                assert outcome.kind == "cut", outcome
        assert recovery.served is not None and recovery.served < 5.0, (recovery, log[-6000:])
    finally:
        up.process.kill()
        up.process.wait()


def take(holder: socket.socket, port: int, within: float = 0.8) -> None:
    """Bind ``port`` as soon as the killed server's sockets let go of it (well before the
    supervisor's 1 s pause ends)."""
    deadline = time.monotonic() + within
    while True:
        try:
            holder.bind(("127.0.0.1", port))
            holder.listen()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def test_ctrl_c_during_a_bus_outage_stops_everything_within_seconds(up: Up) -> None:
    """nats-server killed and its port taken, so it cannot come back: Ctrl-C still stops
    `voicebus up` and its workers at once (it took 31 s before)."""
    (nats_pid,) = up.pids(NATS_PID)
    workers = up.pids(WORKER_PID)
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        os.kill(nats_pid, signal.SIGKILL)
        while alive(nats_pid):
            time.sleep(0.01)
        take(holder, up.nats_port)
        deadline = time.monotonic() + 20
        while "nats-server did not start again" not in up.log():
            assert time.monotonic() < deadline, up.log()
            time.sleep(0.1)
        up.process.send_signal(signal.SIGINT)
        pressed = time.monotonic()
        up.process.wait(30)
        took = time.monotonic() - pressed
    assert took < 5, (took, up.log())
    assert not [pid for pid in workers if alive(pid)], up.log()
    assert "Traceback" not in up.log()
