"""The cache at the hub client's seam: a sentence source wrapping the bus.

    hub.sentence_source = CachingSource(hub.sentence_source, nc, settings.cache, ...)

For each sentence it computes the key (hub/cache/key.py) from the request and the engine
the first route names, as the engine's live workers announce it. A stored clip is a hit:
its PCM is yielded at once, one chunk at the engine's rate, and the stream's converter
makes the client's format of it, as it does for audio from the bus. A miss joins the
sentence's flight (hub/cache/flight.py) or starts one, and the audio is stored once it is
complete, if the first route's engine made it (not a fallback).

Not cached: engines that announce ``cacheable: false`` (sampling engines, unless their
operator chose to cache), engines whose workers disagree on model or version, and streams
opened with ``cache=False`` (:func:`for_stream` gives such a stream the bus itself). When
JetStream is unreachable the cache steps aside and sentences go to the bus.

The cache sits below the hub client in the layers, so it names none of its types: a
route is anything with ``engine`` and ``voice``, a source anything with ``start()``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from nats.aio.client import Client

from hub.cache.flight import Flight
from hub.cache.key import CacheKey, EngineIdentity, cache_key
from hub.cache.shared import CachedChunk, ClaimedSentence, end_of_clip
from hub.cache.stats import CacheCounters, CacheStats
from hub.cache.store import AudioCache, Clip
from hub.contract.errors import VoicebusError
from hub.contract.schemas import EngineAnnouncement, StreamEnd, SynthesisRequest
from hub.settings import CacheSettings
from hub.store.library import VoiceLibrary

_LOGGER = logging.getLogger(__name__)

_RETRY_OPEN_SECONDS = 30.0

Engines = Callable[[], dict[str, list[EngineAnnouncement]]]
"""Live workers by engine name (the hub client's discovery)."""
CloneDigest = Callable[[str], Awaitable[str | None]]


def engine_identity(workers: list[EngineAnnouncement]) -> EngineIdentity | None:
    """The engine as its workers announce it; None when it must not be cached."""
    if not workers or not all(worker.capabilities.cacheable for worker in workers):
        return None
    identities = {EngineIdentity(w.engine, w.model, w.engine_version, w.revision) for w in workers}
    return identities.pop() if len(identities) == 1 else None


def caching_source(
    inner: Any,
    nc: Client,
    settings: CacheSettings,
    engines: Engines,
    library: Callable[[], Awaitable[VoiceLibrary]],
) -> Any:
    """``inner`` behind the cache when ``settings.enabled`` (else ``inner`` itself);
    ``library`` opens the voice library, whose clip digests key cloned voices."""
    if not settings.enabled:
        return inner

    async def clip_digest(voice: str) -> str | None:
        try:
            return (await (await library()).get_meta(voice)).digest
        except VoicebusError:
            return None

    return CachingSource(inner, nc, settings, engines, clip_digest)


class CachingSource:
    """A sentence source that serves stored clips and stores what the inner source makes."""

    def __init__(
        self,
        inner: Any,
        nc: Client,
        settings: CacheSettings,
        engines: Engines,
        clone_digest: CloneDigest | None = None,
    ) -> None:
        self.inner = inner
        self.settings = settings
        self.counters = CacheCounters()
        self._nc = nc
        self._engines = engines
        self._clone_digest = clone_digest
        self._flights: dict[str, Flight] = {}
        self._store: AudioCache | None = None
        self._store_lock = asyncio.Lock()
        self._retry_at = 0.0

    async def store(self) -> AudioCache | None:
        """The shared store, opened on first use; None while JetStream is unavailable."""
        async with self._store_lock:
            if self._store is None and time.monotonic() >= self._retry_at:
                try:
                    self._store = await AudioCache.open(self._nc, self.settings)
                except Exception as error:  # no JetStream, no room for the budget, ...
                    self._retry_at = time.monotonic() + _RETRY_OPEN_SECONDS
                    _LOGGER.warning("audio cache unavailable, synthesizing everything: %s", error)
            return self._store

    async def stats(self) -> CacheStats | None:
        store = await self.store()
        return None if store is None else CacheStats.of(await store.state(), self.counters)

    async def key_for(self, request: SynthesisRequest, routes: Sequence[Any]) -> CacheKey | None:
        """The request's key, or None when this sentence is not to be cached."""
        route = routes[0]
        engine = engine_identity(self._engines().get(route.engine, []))
        if engine is None:
            return None
        digest = None
        if route.voice.clones and self._clone_digest is not None:
            digest = await self._clone_digest(request.voice)
            if digest is None:
                return None
        return cache_key(request, engine, digest)

    async def contains(self, request: SynthesisRequest, routes: Sequence[Any]) -> bool:
        try:
            key = await self.key_for(request, routes)
            store = await self.store() if key is not None else None
        except Exception as error:
            _LOGGER.debug("cache: no key for a sentence (%s)", error)
            return False
        return store is not None and key is not None and await store.contains(key)

    def start(self, request: SynthesisRequest, routes: Sequence[Any]) -> CachedSentence:
        return CachedSentence(self, request, routes)

    async def lookup(self, request: SynthesisRequest, routes: Sequence[Any]) -> Clip | Flight:
        """A stored clip, or the flight (joined) that makes this sentence."""
        try:
            key = await self.key_for(request, routes)
            store = await self.store() if key is not None else None
        except Exception as error:  # the cache never costs a sentence: go to the engine
            _LOGGER.warning("cache: no key for a sentence (%s); synthesizing", error)
            key = store = None
        if key is None or store is None:
            flight = Flight(self.inner.start(request, routes), _nothing, routes[0].engine)
            flight.join()
            return flight
        if (flight := self._joinable(key)) is not None:
            if (made := flight.clip()) is not None:  # done, being stored: as good as stored
                self.counters.hits += 1
                return made
            self.counters.misses += 1
            self.counters.shared += 1
            flight.join()
            return flight
        clip = await store.find(key)
        if clip is not None:
            self.counters.hits += 1
            return clip
        if (flight := self._joinable(key)) is None:  # one may have begun meanwhile
            flight = self._begin(key, store, request, routes)
        else:
            self.counters.shared += 1
        self.counters.misses += 1
        flight.join()
        return flight

    def _joinable(self, key: CacheKey) -> Flight | None:
        flight = self._flights.get(key.name)
        return None if flight is None or flight.abandoned else flight

    def _begin(
        self, key: CacheKey, store: AudioCache, request: SynthesisRequest, routes: Sequence[Any]
    ) -> Flight:
        call = ClaimedSentence(self.inner, store, key, request, routes)

        async def keep(flight: Flight) -> None:
            try:
                if not call.fetched:
                    await self._keep(key, store, flight)
            finally:
                if await call.claimed():
                    await store.claims.release(key, call.token)
                if self._flights.get(key.name) is flight:
                    del self._flights[key.name]

        flight = Flight(call, keep, routes[0].engine)
        self._flights[key.name] = flight
        return flight

    async def settled(self, timeout: float | None = None) -> None:
        """Wait (at most ``timeout``) until every sentence in flight is done and stored."""
        tasks = [flight.task for flight in self._flights.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def _keep(self, key: CacheKey, store: AudioCache, flight: Flight) -> None:
        clip = flight.clip()
        if clip is None:
            return
        try:
            if await store.put(key, clip):
                self.counters.stored += 1
        except Exception as error:  # a full or unreachable store costs the entry, not audio
            _LOGGER.warning("cache: could not store a clip (%s)", error)


async def _nothing(_: Flight) -> None:
    return None


class CachedSentence:
    """One sentence through the cache: a stored clip, or a flight's live audio."""

    def __init__(self, source: CachingSource, request: SynthesisRequest, routes: Sequence[Any]):
        self._request = request
        self._routes = routes
        self.start: Any = None
        self.end: StreamEnd | None = None
        self.fallbacks = 0
        self._found = asyncio.create_task(source.lookup(request, routes), name="cache-lookup")
        self._flight: Flight | None = None

    async def hit(self) -> bool:
        """True when the sentence came from the store."""
        await asyncio.wait([self._found])  # its failure is the stream's to raise, not ours
        found = self._found
        return (
            not found.cancelled() and found.exception() is None and isinstance(found.result(), Clip)
        )

    @property
    def engine(self) -> str:
        if self._flight is not None:
            return str(self._flight.call.engine)
        return str(self._routes[0].engine)

    async def chunks(self) -> AsyncIterator[Any]:
        # Shielded: cancelling the reader must cancel the reader, not hand the cancel to the
        # lookup (Python 3.11's wait_for, inside nats-py, can swallow it there).
        found = await asyncio.shield(self._found)
        if isinstance(found, Clip):
            self.end = end_of_clip(self._request, found)
            yield CachedChunk(found.pcm, found.rate)
            return
        self._flight = found
        async for chunk in found.read():
            yield chunk
        self.start, self.end = found.call.start, found.call.end
        self.fallbacks = found.call.fallbacks

    async def cancel(self, reason: str = "client") -> None:
        if not self._found.done():
            self._found.cancel()
        await asyncio.wait([self._found])
        if self._found.cancelled() or self._found.exception() is not None:
            return
        if isinstance(found := self._found.result(), Flight):
            await found.leave(reason)
