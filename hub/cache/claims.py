"""Single flight across processes: a claim per sentence being made, in a key-value bucket.

The process that creates ``<bucket>-flight`` key ``K`` first makes sentence ``K``; the others
watch the cache for its clip instead of synthesizing it again. A claim is released when its
clip is stored (or the synthesis failed), and expires by itself after ``CLAIM_SECONDS``
(a per-message TTL), so a process that dies mid-sentence holds nobody up for long; then the
waiters make the sentence themselves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import nats.errors
from nats.js import JetStreamContext
from nats.js import errors as js_errors
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from hub.cache.key import CacheKey

_LOGGER = logging.getLogger(__name__)

CLAIM_SECONDS = 30.0
"""Longest a claim holds others back (a sentence that takes longer is made twice)."""
_CHECK_SECONDS = 0.5


class FlightClaims:
    """Who is making which sentence right now, across every process on the bus."""

    def __init__(self, js: JetStreamContext, kv: KeyValue, bucket: str) -> None:
        self._js = js
        self._kv = kv
        self._stream = f"KV_{bucket}"
        self._prefix = f"$KV.{bucket}."

    @classmethod
    async def open(cls, js: JetStreamContext, cache_bucket: str) -> FlightClaims:
        bucket = f"{cache_bucket}-flight"
        try:
            kv = await js.key_value(bucket)
        except js_errors.BucketNotFoundError:
            kv = await js.create_key_value(
                KeyValueConfig(
                    bucket=bucket,
                    description="voicebus audio cache: sentences being made",
                    history=1,
                    ttl=2 * CLAIM_SECONDS,
                    storage=StorageType.FILE,  # survives a restart of nats-server
                )
            )
        return cls(js, kv, bucket)

    async def claim(self, key: CacheKey, token: bytes, seconds: float = CLAIM_SECONDS) -> bool:
        """True when this process is to make the sentence (nobody else claimed it);
        ``token`` marks the claim as the caller's, for :meth:`release`."""
        try:
            await self._kv.create(key.name, token, msg_ttl=max(1.0, seconds))
        except js_errors.KeyWrongLastSequenceError:
            return False
        except Exception as error:  # no claims on this server: make it, as without them
            _LOGGER.debug("cache: claim failed (%s); synthesizing anyway", error)
        return True

    async def claimed(self, key: CacheKey) -> bool:
        try:
            entry = await self._kv.get(key.name)
        except (js_errors.KeyNotFoundError, js_errors.KeyDeletedError):
            return False
        return entry.operation is None

    async def release(self, key: CacheKey, token: bytes) -> None:
        """Drop the claim if it is the one ``token`` made (also after a claim whose answer
        never came: it may have been made all the same)."""
        try:
            entry = await self._kv.get(key.name)
            if entry.value == token:
                await self._js.purge_stream(self._stream, subject=self._prefix + key.name)
        except (js_errors.KeyNotFoundError, js_errors.KeyDeletedError):
            return
        except Exception as error:  # it expires by itself
            _LOGGER.debug("cache: releasing a claim failed (%s)", error)

    async def wait(
        self, kv: KeyValue, key: CacheKey, fetch: Callable[[], Awaitable[Any]], until: float
    ) -> Any:
        """Watch ``kv`` for the clip under ``key`` while the claim stands (and before the
        monotonic time ``until``): ``fetch()``'s result once it is stored, else None."""
        watcher = await kv.watch(key.name)
        try:
            while time.monotonic() < until:
                try:
                    entry = await watcher.updates(timeout=_CHECK_SECONDS)
                except nats.errors.TimeoutError:
                    entry = None
                if entry is not None and entry.value:
                    return await fetch()
                if not await self.claimed(key):  # done (stored just before?) or given up
                    return await fetch()
            return None
        finally:
            await watcher.stop()
