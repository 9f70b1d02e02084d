"""The hub client's facade for adapters, against a real nats-server and real Piper workers:
``connected``, ``workers()``, ``engines()``, ``refresh()``, ``library()`` and ``control()``."""

from __future__ import annotations

import time

import pytest

from hub.client import HubClient
from hub.contract.errors import EngineUnavailableError
from hub.contract.schemas import ControlAction, ControlCommand, EngineAnnouncement, EngineState
from hub.process.natsserver import NatsServer
from hub.store.library import VoiceLibrary
from tests.conftest import DEFAULT_VOICE, PrivateBus, client_settings
from tests.helpers import collect

QUIET = "30"
"""Heartbeat of the workers here: long enough that only a ping makes them announce."""


async def test_connected_follows_the_connection(private_bus: PrivateBus) -> None:
    hub = await private_bus.client()
    assert hub.connected
    await hub.close()
    assert not hub.connected


async def test_engines_group_the_live_workers(private_bus: PrivateBus) -> None:
    private_bus.engine()
    private_bus.engine(VOICEBUS_ENGINE_NAME="cpu")
    hub = await private_bus.client()
    await hub.refresh(timeout=5)
    engines = hub.engines()
    assert sorted(engines) == ["cpu", "piper"]
    assert all(w.engine == name for name, workers in engines.items() for w in workers)
    assert sorted(w.engine for w in hub.workers()) == ["cpu", "piper"]


async def test_refresh_returns_once_the_known_workers_answered(private_bus: PrivateBus) -> None:
    for _ in range(2):
        private_bus.engine(VOICEBUS_HEARTBEAT_SECONDS=QUIET)
    hub = await private_bus.client()
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


async def test_refresh_gives_up_after_its_timeout(private_bus: PrivateBus) -> None:
    hub = await private_bus.client()
    began = time.monotonic()
    assert await hub.refresh(timeout=0.3) == []
    assert 0.3 <= time.monotonic() - began < 1.0


async def test_control_answers_for_every_worker(private_bus: PrivateBus) -> None:
    private_bus.engine()
    private_bus.engine()
    hub = await private_bus.client()
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
