"""A job killed mid-way, its runner (the REST adapter) and nats-server both ``kill -9``ed,
completes after a restart with every sentence once and in order."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from hub.process.natsserver import NatsServer
from tests.conftest import EngineProcess
from tests.helpers import STORY, free_port, transcribe, word_error_rate, words

KEYWORDS = [
    "morning", "ocean", "fields", "conductor", "laughing", "noon",
    "rain", "storm", "flickered", "village", "umbrellas", "hills",
]  # fmt: skip
"""One word found only in each STORY sentence, in order."""


class AdapterProcess:
    """``voicebus adapter openai`` (which hosts a job runner) as its own process."""

    def __init__(self, nats_url: str, port: int, log: Path) -> None:
        env = {
            **os.environ,
            "VOICEBUS_CONFIG": "",
            "VOICEBUS_NATS_URL": nats_url,
            "VOICEBUS_JOBS_ACK_WAIT": "1",
            "VOICEBUS_JOBS_RUNNERS": "1",
        }
        command = [sys.executable, "-m", "hub.cli", "adapter", "openai", "--port", str(port)]
        with log.open("ab") as output:
            self.process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        self.http = httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        self.log = log

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if self.http.get("/health").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.http.close()


def _job(adapter: AdapterProcess, job_id: str) -> dict[str, Any]:
    answer = adapter.http.get(f"/v1/audio/jobs/{job_id}")
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()
    return job


def _wait(adapter: AdapterProcess, job_id: str, done: Any, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not done(job := _job(adapter, job_id)):
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, (job, adapter.log.read_text())
        time.sleep(0.05)
    return job


@pytest.fixture
def bus(tmp_path: Path, engine_logs: Path) -> Iterator[tuple[NatsServer, int]]:
    """A nats-server of this test's own (it gets killed), with a Piper worker on it."""
    server = NatsServer(tmp_path / "nats", port=free_port())
    server.start()
    engine = EngineProcess(server.url, log_dir=engine_logs, VOICEBUS_THREADS="2").start()
    engine.instance()
    yield server, server.port
    engine.stop()
    server.stop()


def test_a_job_killed_mid_way_completes_once_and_in_order(
    bus: tuple[NatsServer, int], tmp_path: Path, whisper: Any
) -> None:
    server, nats_port = bus
    http_port, log = free_port(), tmp_path / "adapter.log"
    adapter = AdapterProcess(server.url, http_port, log)
    adapter.wait_ready()
    text = " ".join(STORY)
    answer = adapter.http.post(
        "/v1/audio/jobs",
        json={"model": "tts-1", "voice": "alloy", "input": text, "response_format": "pcm"},
    )
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    mid = _wait(adapter, job_id, lambda job: job["progress"]["done"] >= 3, 60)
    assert mid["progress"]["done"] < len(STORY)

    adapter.kill()  # the process running the job ...
    assert server.process is not None
    server.process.send_signal(signal.SIGKILL)  # ... and NATS, at once
    server.process.wait()

    NatsServer(server.data_dir, port=nats_port).start()  # same data, same port
    adapter = AdapterProcess(server.url, http_port, log)
    try:
        adapter.wait_ready()
        done = _wait(adapter, job_id, lambda job: job["status"] == "completed", 120)
        assert done["progress"] == {"done": len(STORY), "total": len(STORY)}
        content = adapter.http.get(f"/v1/audio/jobs/{job_id}/content")
        assert content.status_code == 200
    finally:
        adapter.kill()
    # The restarted runner made only what was not stored yet.
    runs = re.findall(rf"job {job_id}: (\d+) of (\d+) sentence\(s\) to make", log.read_text())
    assert len(runs) == 2 and runs[0] == (str(len(STORY)), str(len(STORY))), runs
    assert int(runs[1][0]) <= len(STORY) - mid["progress"]["done"], runs
    heard = transcribe(whisper, content.content, 24000)
    assert word_error_rate(text, heard) <= 0.12, heard  # sentences out of order cost more
    said = words(heard)
    # A sentence made twice, or lost, would add or remove at least 7 words.
    assert abs(len(said) - len(words(text))) <= 3, heard
    found = [said.index(word) for word in KEYWORDS if said.count(word) == 1]
    assert len(found) >= len(KEYWORDS) - 4 and found == sorted(found), heard
    assert all(said.count(word) <= 1 for word in KEYWORDS), heard  # none twice
