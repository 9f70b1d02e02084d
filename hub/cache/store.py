"""The shared clip store in JetStream: a key-value bucket, and an object store for big clips.

A clip is canonical mono s16le PCM at the engine's rate, stored under its :class:`CacheKey`
with a small JSON header (rate, voice, engine). Clips that fit in one NATS message live in
the key-value bucket; a longer one goes to the object store ``<bucket>-large`` and the
bucket keeps a pointer. Both streams use file storage (the cache survives restarts), a byte
budget and a TTL, and drop their oldest entries when the budget is full (``discard: old``;
JetStream creates key-value buckets with ``discard: new``, so the store changes that).

Entries are only ever created, never overwritten, and removed only by the budget, the TTL
or :meth:`AudioCache.clear`, which records how many it removed in the stream's metadata.
So ``evictions = last sequence - entries - cleared`` holds for every process on the bus.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.js import JetStreamContext
from nats.js import errors as js_errors
from nats.js.api import DiscardPolicy, KeyValueConfig, ObjectStoreConfig, StorageType
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from hub.cache.claims import FlightClaims
from hub.cache.key import FORMAT_VERSION, CacheKey, voice_token
from hub.cache.stats import StoreState
from hub.contract.errors import EngineUnavailableError
from hub.settings import CacheSettings

_LOGGER = logging.getLogger(__name__)

_HEADER_ROOM = 4096
"""Bytes kept free under the server's max payload for the header and NATS headers."""
_CLEARED = "voicebus_cleared"
"""Stream metadata key: entries removed by ``clear`` since the bucket was made."""


@dataclass(frozen=True)
class Clip:
    """One cached sentence: canonical PCM and its rate."""

    pcm: bytes
    rate: int
    engine: str = ""

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / self.rate


def encode_value(clip: Clip, voice: str, obj: str | None = None) -> bytes:
    header = {"v": FORMAT_VERSION, "rate": clip.rate, "engine": clip.engine, "voice": voice}
    if obj is not None:
        header["object"] = obj
    head = json.dumps(header, separators=(",", ":")).encode()
    return len(head).to_bytes(4, "big") + head + (b"" if obj else clip.pcm)


def decode_value(value: bytes) -> tuple[dict[str, object], bytes]:
    size = int.from_bytes(value[:4], "big")
    return json.loads(value[4 : 4 + size]), value[4 + size :]


class AudioCache:
    """Clips on the bus: ``await AudioCache.open(nc, settings)``, then get, put, state, clear."""

    def __init__(
        self,
        js: JetStreamContext,
        kv: KeyValue,
        large: ObjectStore,
        claims: FlightClaims,
        settings: CacheSettings,
    ) -> None:
        self._js = js
        self._kv = kv
        self._large = large
        self.claims = claims
        """Which sentences some process on the bus is making right now."""
        self.settings = settings
        self.stream = f"KV_{settings.bucket}"
        self._large_stream = f"OBJ_{settings.bucket}-large"
        self._inline_limit = 1024 * 1024 - _HEADER_ROOM

    @classmethod
    async def open(cls, nc: Client, settings: CacheSettings) -> AudioCache:
        """Bind to (or create) the buckets and apply the budget and TTL of ``settings``."""
        js = nc.jetstream()
        try:
            kv = await _key_value(js, settings)
            large = await _object_store(js, settings)
            claims = await FlightClaims.open(js, settings.bucket)
            cache = cls(js, kv, large, claims, settings)
            await cache._apply_limits()
        except (js_errors.ServiceUnavailableError, NoRespondersError):
            raise EngineUnavailableError(
                "the audio cache needs JetStream, which this NATS server does not offer",
                "start nats-server with -js (voicebus up does) or set VOICEBUS_CACHE_ENABLED=false",
            ) from None
        cache._inline_limit = max(64 * 1024, nc.max_payload - _HEADER_ROOM)
        return cache

    async def _apply_limits(self) -> None:
        """Budget, TTL and ``discard: old`` on both streams; direct gets on the clips (raw
        bytes: a plain get would base64 them in JSON)."""
        budgets = ((self.stream, self.settings.budget_bytes, True),
                   (self._large_stream, self.settings.large_budget_bytes, False))  # fmt: skip
        for stream, budget, direct in budgets:
            config = (await self._js.stream_info(stream)).config
            wanted: dict[str, object] = {"discard": DiscardPolicy.OLD, "max_bytes": budget,
                                         "max_age": self.settings.ttl_seconds}  # fmt: skip
            if direct:
                wanted["allow_direct"] = True
            if any(getattr(config, name) != value for name, value in wanted.items()):
                await self._js.update_stream(config.evolve(**wanted))
        self._kv = await self._js.key_value(self.settings.bucket)  # sees allow_direct now

    async def get(self, key: CacheKey) -> Clip | None:
        """The clip under ``key``, or None (absent, expired, evicted or unreadable)."""
        try:
            entry = await self._kv.get(key.name)
        except (js_errors.KeyNotFoundError, js_errors.KeyDeletedError):
            return None
        if not entry.value:
            return None
        header, pcm = decode_value(entry.value)
        if header.get("v") != FORMAT_VERSION:
            return None
        obj = header.get("object")
        if isinstance(obj, str):
            pcm = await self._get_large(key, obj)
            if pcm is None:
                return None
        return Clip(pcm, int(header["rate"]), str(header.get("engine", "")))  # type: ignore[call-overload]

    async def find(self, key: CacheKey) -> Clip | None:
        """``get``, but an unreadable store is a miss (logged), never a failed sentence."""
        try:
            return await self.get(key)
        except Exception as error:
            _LOGGER.warning("cache: lookup failed (%s); synthesizing", error)
            return None

    async def contains(self, key: CacheKey) -> bool:
        return await self.find(key) is not None

    async def wait(self, key: CacheKey, until: float) -> Clip | None:
        """The clip another process is making under ``key``, once stored; None if it gave
        up or the monotonic time ``until`` came first."""
        try:
            return await self.claims.wait(self._kv, key, lambda: self.find(key), until)  # type: ignore[no-any-return]
        except Exception as error:  # cannot watch: make the sentence here
            _LOGGER.warning("cache: waiting for another process failed (%s)", error)
            return None

    async def _get_large(self, key: CacheKey, obj: str) -> bytes | None:
        try:
            result = await self._large.get(obj)
        except Exception as error:  # evicted or damaged chunks: the pointer is useless now
            _LOGGER.info("cache: large clip %s is gone (%s); dropping its entry", obj, error)
            await self._js.purge_stream(self.stream, subject=self._subject(key.name))
            return None
        return result.data

    async def put(self, key: CacheKey, clip: Clip) -> bool:
        """Store ``clip`` unless the key is already there; True if this call stored it."""
        obj = None
        if len(clip.pcm) > self._inline_limit:
            obj = key.name
            await self._large.put(obj, clip.pcm)
        try:
            await self._kv.create(key.name, encode_value(clip, key.voice, obj))
        except js_errors.KeyWrongLastSequenceError:
            return False  # another process cached it first
        return True

    async def state(self) -> StoreState:
        info = await self._js.stream_info(self.stream)
        large = await self._js.stream_info(self._large_stream)
        cleared = int((info.config.metadata or {}).get(_CLEARED, "0"))
        evicted = (info.state.last_seq or 0) - info.state.messages - cleared
        return StoreState(
            entries=info.state.messages,
            bytes=info.state.bytes + large.state.bytes,
            budget_bytes=self.settings.budget_bytes + self.settings.large_budget_bytes,
            ttl_seconds=self.settings.ttl_seconds,
            evictions=max(0, evicted),
        )

    async def clear(self, voice: str | None = None) -> int:
        """Drop every clip (or every clip of ``voice``); returns how many entries went."""
        subject = self._subject(f"{voice_token(voice)}.*") if voice else None
        before = (await self._js.stream_info(self.stream, subjects_filter=subject)).state
        removed = sum((before.subjects or {}).values()) if subject else before.messages
        if subject:
            await self._drop_large_of(voice_token(voice or ""))
            await self._js.purge_stream(self.stream, subject=subject)
        else:
            await self._js.purge_stream(self.stream)
            await self._js.purge_stream(self._large_stream)
        await self._count_cleared(removed)
        _LOGGER.info("cache: cleared %d clip(s)%s", removed, f" of voice {voice}" if voice else "")
        return removed

    async def _drop_large_of(self, token: str) -> None:
        try:
            names = await self._large.list()
        except js_errors.NotFoundError:
            return
        for info in names:
            if info.name.startswith(f"{token}.") and not info.deleted:
                await self._large.delete(info.name)

    async def _count_cleared(self, removed: int) -> None:
        config = (await self._js.stream_info(self.stream)).config
        metadata = dict(config.metadata or {})
        metadata[_CLEARED] = str(int(metadata.get(_CLEARED, "0")) + removed)
        await self._js.update_stream(config.evolve(metadata=metadata))

    def _subject(self, key: str) -> str:
        return f"$KV.{self.settings.bucket}.{key}"


async def _key_value(js: JetStreamContext, settings: CacheSettings) -> KeyValue:
    try:
        return await js.key_value(settings.bucket)
    except js_errors.BucketNotFoundError:
        pass
    try:
        return await js.create_key_value(
            KeyValueConfig(
                bucket=settings.bucket,
                description="voicebus audio cache: one clip per sentence",
                history=1,
                ttl=settings.ttl_seconds,
                max_bytes=settings.budget_bytes,
                storage=StorageType.FILE,
                direct=True,
            )
        )
    except js_errors.BadRequestError:  # another process made it first (and set its limits)
        return await js.key_value(settings.bucket)


async def _object_store(js: JetStreamContext, settings: CacheSettings) -> ObjectStore:
    name = f"{settings.bucket}-large"
    try:
        return await js.object_store(name)
    except js_errors.NotFoundError:
        pass
    try:
        return await js.create_object_store(
            name,
            ObjectStoreConfig(
                description="voicebus audio cache: clips above the message size",
                ttl=settings.ttl_seconds,
                max_bytes=settings.large_budget_bytes,
                storage=StorageType.FILE,
            ),
        )
    except js_errors.BadRequestError:  # another process made it first
        return await js.object_store(name)
