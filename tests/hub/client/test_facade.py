"""The hub client's facade for adapters, against a real nats-server and real Piper workers:
``connected``, ``workers()``, ``engines()``, ``refresh()``, ``library()`` and ``control()``."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from hub.client import HubClient
from hub.contract.errors import EngineUnavailableError
from hub.contract.schemas import ControlAction, ControlCommand, EngineAnnouncement, EngineState
from hub.process.natsserver import NatsServer
from hub.store.library import VoiceLibrary
from tests.conftest import DEFAULT_VOICE, EngineProcess, client_settings
from tests.helpers import collect

StartEngine = Callable[..., EngineProcess]
QUIET = "30"
"""Heartbeat of the workers here: long enough that only a ping makes them announce."""


async def _client(nats_server: NatsServer, prefix: str, name: str) -> HubClient:
    return await HubClient.connect(client_settings(nats_server.url, subject_prefix=prefix), name)


async def test_connected_follows_the_connection(nats_server: NatsServer) -> None:
    hub = await _client(nats_server, "facade-connected", "test-facade-connected")
    assert hub.connected
    await hub.close()
    assert not hub.connected


async def test_engines_group_the_live_workers(
    nats_server: NatsServer, start_engine: StartEngine
) -> None:
    prefix = "facade-engines"
    start_engine(nats_server.url, VOICEBUS_SUBJECT_PREFIX=prefix)
    start_engine(nats_server.url, VOICEBUS_SUBJECT_PREFIX=prefix, VOICEBUS_ENGINE_NAME="cpu")
    async with await _client(nats_server, prefix, "test-facade-engines") as hub:
        await hub.refresh(timeout=5)
        engines = hub.engines()
        assert sorted(engines) == ["cpu", "piper"]
        assert all(w.engine == name for name, workers in engines.items() for w in workers)
        assert sorted(w.engine for w in hub.workers()) == ["cpu", "piper"]


async def test_refresh_returns_once_the_known_workers_answered(
    nats_server: NatsServer, start_engine: StartEngine
) -> None:
    prefix = "facade-refresh"
    for _ in range(2):
        start_engine(
            nats_server.url, VOICEBUS_SUBJECT_PREFIX=prefix, VOICEBUS_HEARTBEAT_SECONDS=QUIET
        )
    async with await _client(nats_server, prefix, "test-facade-refresh") as hub:
        began = time.monotonic()
        workers = await hub.refresh(timeout=5)
        assert len(workers) == 2, "a fresh client hears every worker"
        assert time.monotonic() - began < 1.0

        await collect(await hub.open("Count me.", DEFAULT_VOICE))
        assert sum(w.served for w in hub.workers()) == 0, "no heartbeat told us yet"
        began = time.monotonic()
        workers = await hub.refresh(timeout=5)
        assert time.monotonic() - began < 0.5, "waited for more than the two answers"
        assert sum(w.served for w in workers) == 1


async def test_refresh_gives_up_after_its_timeout(nats_server: NatsServer) -> None:
    async with await _client(nats_server, "facade-nobody", "test-facade-nobody") as hub:
        began = time.monotonic()
        assert await hub.refresh(timeout=0.3) == []
        assert 0.3 <= time.monotonic() - began < 1.0


async def test_control_answers_for_every_worker(
    nats_server: NatsServer, start_engine: StartEngine
) -> None:
    prefix = "facade-control"
    start_engine(nats_server.url, VOICEBUS_SUBJECT_PREFIX=prefix)
    start_engine(nats_server.url, VOICEBUS_SUBJECT_PREFIX=prefix)
    async with await _client(nats_server, prefix, "test-facade-control") as hub:
        await hub.refresh(timeout=5)
        unloaded = await hub.control("piper", ControlCommand(action=ControlAction.UNLOAD))
        assert [_state(a) for a in unloaded] == [EngineState.UNLOADED] * 2
        loaded = await hub.control("piper", ControlCommand(action=ControlAction.LOAD))
        assert [_state(a) for a in loaded] == [EngineState.WARM] * 2
        with pytest.raises(EngineUnavailableError) as missing:
            await hub.control("xtts", ControlCommand(action=ControlAction.LOAD), timeout=1)
        assert "piper" in (missing.value.suggestion or "")


async def test_library_opens_once_on_the_configured_bucket(nats_server: NatsServer) -> None:
    settings = client_settings(nats_server.url, voice_bucket="facade-voices")
    async with await HubClient.connect(settings, "test-facade-library") as hub:
        library = await hub.library()
        assert library.bucket == "facade-voices"
        assert await hub.library() is library
        assert await library.list() == []
        assert isinstance(library, VoiceLibrary)


def _state(answer: object) -> EngineState:
    assert isinstance(answer, EngineAnnouncement), answer
    return answer.state
