"""The clip store on a real nats-server with JetStream: round trips, big clips in the
object store, the byte budget evicts the oldest, clear (all or one voice), and a restart of
nats-server keeps every entry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from hub.bus import connect
from hub.cache import AudioCache, CacheKey, Clip
from hub.process.natsserver import NatsServer
from tests.conftest import client_settings
from tests.hub.cache.support import cache_settings


def _clip(seconds: float, seed: int, rate: int = 22050) -> Clip:
    return Clip(bytes([seed % 256]) * int(seconds * rate) * 2, rate, "piper")


def _key(n: int, voice: str = "en_US-joe-medium") -> CacheKey:
    return CacheKey(voice, f"{n:064x}")


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[Client]:
    nc = await connect(client_settings(nats_server.url), "test-cache-store")
    yield nc
    await nc.drain()


async def test_clips_round_trip_and_are_created_once(bus: Client) -> None:
    store = await AudioCache.open(bus, cache_settings())
    clip = _clip(1.0, 7)
    assert await store.get(_key(1)) is None
    assert await store.put(_key(1), clip) is True
    assert await store.put(_key(1), _clip(1.0, 8)) is False  # the first one stays
    assert await store.get(_key(1)) == clip
    state = await store.state()
    assert (state.entries, state.evictions) == (1, 0) and state.bytes >= len(clip.pcm)


async def test_a_clip_over_the_message_size_goes_to_the_object_store(bus: Client) -> None:
    store = await AudioCache.open(bus, cache_settings())
    long = _clip(30.0, 3)  # 1.3 MB of PCM, over the 1 MB NATS message limit
    assert len(long.pcm) > bus.max_payload
    assert await store.put(_key(2), long)
    assert await store.get(_key(2)) == long
    assert (await store.state()).bytes > len(long.pcm)


async def test_the_budget_evicts_the_oldest(bus: Client) -> None:
    store = await AudioCache.open(bus, cache_settings(budget_bytes=300_000))
    for n in range(8):  # 8 x 88 kB into a 300 kB budget
        assert await store.put(_key(n), _clip(2.0, n))
    state = await store.state()
    assert state.entries == 3 and state.evictions == 5 and state.bytes <= 300_000
    assert await store.get(_key(0)) is None
    assert await store.get(_key(7)) == _clip(2.0, 7)


async def test_clear_one_voice_or_all(bus: Client) -> None:
    store = await AudioCache.open(bus, cache_settings())
    for n in range(3):
        await store.put(_key(n, "amy"), _clip(0.5, n))
    await store.put(_key(9, "joe"), _clip(0.5, 9))
    await store.put(_key(10, "joe"), _clip(30.0, 1))  # in the object store
    assert await store.clear("amy") == 3
    assert await store.get(_key(0, "amy")) is None and await store.get(_key(9, "joe"))
    assert await store.clear() == 2
    state = await store.state()
    assert (state.entries, state.evictions) == (0, 0)  # cleared is not evicted
    assert await store.get(_key(10, "joe")) is None


async def test_entries_survive_a_nats_server_restart(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats", port=-1)
    server.start()
    try:
        settings = cache_settings()
        nc = await connect(client_settings(server.url), "test-cache-restart")
        store = await AudioCache.open(nc, settings)
        clip, big = _clip(1.5, 5), _clip(30.0, 6)
        await store.put(_key(1), clip)
        await store.put(_key(2), big)
        await nc.close()
        server.stop()
        server.start()
        nc = await connect(client_settings(server.url), "test-cache-restart")
        store = await AudioCache.open(nc, settings)
        assert await store.get(_key(1)) == clip and await store.get(_key(2)) == big
        assert (await store.state()).entries == 2
        await nc.close()
    finally:
        server.stop()


async def test_processes_opening_a_new_cache_at_once_all_get_it(bus: Client) -> None:
    settings = cache_settings()
    stores = await asyncio.gather(*(AudioCache.open(bus, settings) for _ in range(4)))
    assert await stores[0].put(_key(1), _clip(0.5, 1))
    assert all([await store.get(_key(1)) == _clip(0.5, 1) for store in stores])


async def test_claims_survive_a_nats_server_restart(tmp_path: Path) -> None:
    """Single flight across processes still works after nats-server restarted."""
    server = NatsServer(tmp_path / "nats", port=-1)
    server.start()
    try:
        settings = cache_settings()
        nc = await connect(client_settings(server.url), "test-cache-claims")
        store = await AudioCache.open(nc, settings)
        assert await store.claims.claim(_key(1), b"one")
        await nc.close()
        server.stop()
        server.start()
        nc = await connect(client_settings(server.url), "test-cache-claims")
        store = await AudioCache.open(nc, settings)
        assert not await store.claims.claim(_key(1), b"two")  # still held by "one"
        await store.claims.release(_key(1), b"two")  # not its own: kept
        assert await store.claims.claimed(_key(1))
        await store.claims.release(_key(1), b"one")
        assert not await store.claims.claimed(_key(1))
        assert await store.claims.claim(_key(2), b"three")
        await nc.close()
    finally:
        server.stop()
