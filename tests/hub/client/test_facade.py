"""The hub client's facade for adapters, against a real nats-server and real Piper workers:
``connected``, ``workers()``, ``engines()``, ``refresh()``, ``library()``, ``control()``,
``kv()``, ``publish()``/``subscribe()`` and ``gatekeeper()``."""

from __future__ import annotations

import asyncio
import time

import pytest

from hub.client import HubClient
from hub.contract.errors import EngineUnavailableError
from hub.contract.schemas import ControlAction, ControlCommand, EngineAnnouncement, EngineState
from hub.keys.errors import InvalidKeyError
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


async def test_kv_creates_the_bucket_once_then_opens_it(nats_server: NatsServer) -> None:
    settings = client_settings(nats_server.url)
    async with await HubClient.connect(settings, "test-facade-kv") as hub:
        kv = await hub.kv("facade-kv", history=2, ttl=60, description="a test's bucket")
        await kv.put("a", b"1")
        status = await kv.status()
        assert (status.history, status.ttl) == (2, 60)
        again = await hub.kv("facade-kv")  # opened as it is, not created anew
        assert (await again.get("a")).value == b"1"
        assert (await again.status()).history == 2


async def test_publish_reaches_a_subscriber(private_bus: PrivateBus) -> None:
    hub = await private_bus.client()
    got: asyncio.Queue[bytes] = asyncio.Queue()

    async def handler(msg: object) -> None:
        await got.put(msg.data)  # type: ignore[attr-defined]

    subject = f"{private_bus.prefix}.facade.test"
    sub = await hub.subscribe(subject, handler)
    await hub.publish(subject, b"hello")
    assert await asyncio.wait_for(got.get(), 5) == b"hello"
    await sub.unsubscribe()


async def test_gatekeeper_checks_keys_on_the_bus(private_bus: PrivateBus) -> None:
    hub = await private_bus.client()
    gate = hub.gatekeeper(["sk-static-1"])
    try:
        assert (await gate.authenticate("sk-static-1")).record is None  # a static key
        with pytest.raises(InvalidKeyError):
            await gate.authenticate("sk-wrong")  # looked up in the bus's key ring
        assert gate.ring is not None
    finally:
        await gate.close()


def _state(answer: object) -> EngineState:
    assert isinstance(answer, EngineAnnouncement), answer
    return answer.state
