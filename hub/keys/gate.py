"""The one place an adapter asks "may this caller do this?": :class:`Gatekeeper`.

``await gate.authenticate(token)`` gives a :class:`Caller` (or raises MissingKeyError /
InvalidKeyError / KeysUnavailableError); ``caller.require(scopes)`` raises ScopeError;
``await caller.count_request()`` and ``await caller.charge_characters(n)`` raise
RateLimitedError. Static keys from an adapter's settings are all-powerful and unlimited
(what ``api_keys`` always meant). Run-time keys come from the keys bucket on the bus.

Modes: ``auto`` (default) asks for a key once static keys are configured or any run-time
key was ever created (revoked keys count, so revoking the last key never opens the door);
``required`` always asks; ``off`` never asks.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from nats.aio.client import Client

from hub.keys.errors import InvalidKeyError, KeysUnavailableError, MissingKeyError, ScopeError
from hub.keys.limiter import RateLimiter
from hub.keys.model import KeyRecord, Scope
from hub.keys.ring import KeyRing
from hub.keys.store import KeyStore

_LOGGER = logging.getLogger(__name__)

START_TIMEOUT = 5.0
"""Seconds the first read of the keys bucket may take before requests get a 503."""
JETSTREAM_RECHECK = 30.0
"""Seconds between looks for JetStream on a server that had none (it may be starting)."""


class AuthMode(enum.StrEnum):
    AUTO = "auto"
    REQUIRED = "required"
    OFF = "off"


@dataclass
class Caller:
    """Who is asking: a run-time key (``record``), or None for a static key / no auth."""

    record: KeyRecord | None
    limiter: RateLimiter | None = None
    _counted: bool = field(default=False, repr=False)

    def allows(self, scope: Scope) -> bool:
        return self.record is None or self.record.allows(scope)

    def require(self, scopes: frozenset[Scope]) -> None:
        """ScopeError unless the caller holds one of ``scopes`` (admin holds them all)."""
        if self.record is not None and not any(self.record.allows(s) for s in scopes):
            raise ScopeError(scopes, self.record.scopes)

    async def count_request(self) -> None:
        """Count this request against the key's request limit (once, however often called)."""
        if self._counted or self.record is None or self.record.rate is None:
            return
        assert self.limiter is not None
        await self.limiter.charge(self.record.id, "requests", self.record.rate, 1)
        self._counted = True

    async def charge_characters(self, count: int) -> None:
        """Count ``count`` characters of text against the key's character limit."""
        if self.record is None or self.record.chars is None or count <= 0:
            return
        assert self.limiter is not None
        await self.limiter.charge(self.record.id, "characters", self.record.chars, count)


class Gatekeeper:
    """One per adapter process; started lazily by the first request (or :meth:`start`)."""

    def __init__(
        self,
        nc: Client,
        subject_prefix: str,
        static_keys: Sequence[str] = (),
        mode: AuthMode = AuthMode.AUTO,
    ) -> None:
        self._nc = nc
        self._prefix = subject_prefix
        self._static = [key.encode() for key in static_keys if key]
        self.mode = mode
        self.ring: KeyRing | None = None
        self._limiter: RateLimiter | None = None
        self._no_jetstream_since: float | None = None
        self._lock = asyncio.Lock()
        self._store: KeyStore | None = None

    @property
    def enabled(self) -> bool:
        """Whether a key is required right now."""
        if self.mode is AuthMode.OFF:
            return False
        if self.mode is AuthMode.REQUIRED or self._static:
            return True
        return self.ring is not None and self.ring.has_keys

    async def start(self) -> None:
        """Read the keys bucket and follow it; without JetStream, static keys only."""
        if self.mode is AuthMode.OFF or self.ring is not None or self._jetstream_missing():
            return
        async with self._lock:
            if self.ring is not None or self._jetstream_missing():
                return
            try:
                store = await KeyStore.open(self._nc, self._prefix)
                self._limiter = await RateLimiter.open(self._nc, self._prefix)
                ring = KeyRing(store.kv, self._nc)
                await ring.start(START_TIMEOUT)  # last: nothing to stop if it fails
            except KeysUnavailableError as error:
                self._no_jetstream_since = time.monotonic()
                _LOGGER.warning(
                    "%s: only the static api_keys are honoured (looking again every %.0f s)",
                    error,
                    JETSTREAM_RECHECK,
                )
                return
            except Exception as error:  # the bus is away or slow: refuse, try again later
                _LOGGER.warning("cannot read the API keys on the bus: %s", error)
                raise KeysUnavailableError("the API keys on the bus cannot be read") from None
            self.ring = ring

    def _jetstream_missing(self) -> bool:
        """JetStream was missing a moment ago (look again after ``JETSTREAM_RECHECK``)."""
        since = self._no_jetstream_since
        return since is not None and time.monotonic() - since < JETSTREAM_RECHECK

    async def store(self) -> KeyStore:
        """The keys bucket for administration (the REST keys routes), opened once."""
        if self._store is None:
            self._store = await KeyStore.open(self._nc, self._prefix)
        return self._store

    async def close(self) -> None:
        if self.ring is not None:
            await self.ring.stop()

    async def authenticate(self, token: str | None) -> Caller:
        if self.mode is AuthMode.OFF:
            return Caller(None)
        if token is not None and self._is_static(token):
            return Caller(None)
        await self.start()
        if not self.enabled:
            return Caller(None)
        if token is None:
            raise MissingKeyError("no API key")
        record = self.ring.lookup(token) if self.ring is not None else None
        if record is None:
            raise InvalidKeyError()
        if record.revoked:
            raise InvalidKeyError(revoked=True)
        return Caller(record, self._limiter)

    def _is_static(self, token: str) -> bool:
        presented = token.encode()
        found = False
        for key in self._static:
            found |= hmac.compare_digest(presented, key)
        return found
