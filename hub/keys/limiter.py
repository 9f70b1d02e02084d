"""Per-key limits whose counters live on the bus, so every adapter process shares them.

One KV entry per key, kind and fixed window: ``<kind>.<key id>.<window start>`` holding the
count used so far. A charge reads the entry and writes the new count with
``update(..., last=revision)`` (``create`` for a window's first charge); when another process
wrote in between, JetStream refuses the write and the charge is read and tried again. So
counts are exact across processes and hosts with no lock and no leader. Windows are aligned
to the Unix epoch, so every process (with a synchronised clock) agrees where they start. The
usage bucket's entries expire after the longest window (31 days), keeping it small.

Each process remembers the count and revision it last wrote, and tries its next write with
them straight away: one round trip while it is the only writer, a read and a retry when
another process wrote in between (counts only grow, so a remembered count never lets too
much through; a refusal based on it is checked against a fresh read first).

A charge that would go over the limit is refused and not counted.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

from nats import errors as nats_errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js import errors as js_errors
from nats.js.kv import KeyValue

from hub.keys.errors import KeysUnavailableError, RateLimitedError
from hub.keys.spec import MAX_WINDOW_SECONDS, RateSpec
from hub.keys.store import bucket_name, open_bucket

_LOGGER = logging.getLogger(__name__)

MAX_ATTEMPTS = 50
"""Writes lost to other processes before a charge gives up (503, never a silent pass)."""


class RateLimiter:
    def __init__(self, kv: KeyValue, clock: Callable[[], float] = time.time) -> None:
        self._kv = kv
        self._clock = clock
        # (kind, key id, window) -> (window start, count, revision) as this process last
        # wrote it: the next charge tries its write at once, one round trip instead of two.
        self._seen: dict[tuple[str, str, int], tuple[int, int, int]] = {}

    @classmethod
    async def open(cls, nc: Client | JetStreamContext, subject_prefix: str) -> RateLimiter:
        kv = await open_bucket(
            nc,
            bucket_name(subject_prefix, "key-usage"),
            "voicebus API key usage counters, one per key and window",
            ttl=MAX_WINDOW_SECONDS + 86_400,
        )
        return cls(kv)

    async def charge(self, key_id: str, kind: str, spec: RateSpec, amount: int) -> int:
        """Count ``amount`` against the current window; the new count, or RateLimitedError."""
        slot = (kind, key_id, spec.window_seconds)
        for _ in range(MAX_ATTEMPTS):
            now = self._clock()
            start = int(now // spec.window_seconds) * spec.window_seconds
            entry_key = f"{kind}.{key_id}.{spec.window_seconds}-{start}"
            cached = self._seen.get(slot)
            if cached is not None and cached[0] == start:
                used, revision = cached[1], cached[2]
            else:
                cached = None
                used, revision = await self._read(entry_key)
            if used + amount > spec.limit:
                if cached is not None:  # what this process saw may be old: look again
                    del self._seen[slot]
                    continue
                raise RateLimitedError(kind, spec, used, amount, start + spec.window_seconds - now)
            written = await self._write(entry_key, used + amount, revision)
            if written is not None:
                self._seen[slot] = (start, used + amount, written)
                return used + amount
            self._seen.pop(slot, None)  # another process wrote first: read, then try again
            if cached is None:
                await asyncio.sleep(random.uniform(0, 0.005))
        raise KeysUnavailableError("the usage counters are too contended; try again")

    async def usage(self, key_id: str, kind: str, spec: RateSpec) -> int:
        """What the current window has used so far."""
        start = int(self._clock() // spec.window_seconds) * spec.window_seconds
        used, _ = await self._read(f"{kind}.{key_id}.{spec.window_seconds}-{start}")
        return used

    async def _read(self, entry_key: str) -> tuple[int, int | None]:
        try:
            entry = await self._kv.get(entry_key)
        except (js_errors.KeyNotFoundError, js_errors.KeyDeletedError):
            return 0, None
        except _BUS_ERRORS as error:
            raise _unreachable(error) from None
        return int(entry.value or b"0"), entry.revision

    async def _write(self, entry_key: str, count: int, revision: int | None) -> int | None:
        """The entry's new revision, or None when another process wrote since ``revision``."""
        value = str(count).encode()
        try:
            if revision is None:
                return await self._kv.create(entry_key, value)
            return await self._kv.update(entry_key, value, last=revision)
        except js_errors.KeyWrongLastSequenceError:
            return None
        except _BUS_ERRORS as error:
            raise _unreachable(error) from None


_BUS_ERRORS = (nats_errors.Error, TimeoutError, ConnectionError)
"""What a KV call raises while NATS is away or slow (nats' own errors and timeouts)."""


def _unreachable(error: Exception) -> KeysUnavailableError:
    """With the bus away: refuse (503), never let a limited request through unchecked."""
    _LOGGER.warning("API key usage counters unreachable: %r", error)
    return KeysUnavailableError("the usage counters on the bus cannot be reached")
