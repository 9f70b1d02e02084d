"""Why a request was refused; each adapter turns these into its own protocol's answer."""

from __future__ import annotations

import math

from hub.keys.model import Scope
from hub.keys.spec import RateSpec


class AccessError(Exception):
    """Base of every refusal."""


class MissingKeyError(AccessError):
    """No key was presented but keys are required (401)."""


class InvalidKeyError(AccessError):
    """The key is unknown, malformed or revoked (401)."""

    def __init__(self, revoked: bool = False) -> None:
        super().__init__("this API key has been revoked" if revoked else "unknown API key")
        self.revoked = revoked


class ScopeError(AccessError):
    """A valid key without the scope the route needs (403)."""

    def __init__(self, needed: frozenset[Scope], granted: list[Scope]) -> None:
        self.needed = sorted(needed)
        self.granted = sorted(granted)
        super().__init__(
            f"this key lacks the scope needed here: {' or '.join(self.needed)} "
            f"(it has: {', '.join(self.granted)})"
        )


class RateLimitedError(AccessError):
    """Over a key's limit for this window (429); ``retry_after`` whole seconds until reset."""

    def __init__(
        self, kind: str, spec: RateSpec, used: int, requested: int, retry_after: float
    ) -> None:
        self.kind = kind  # "requests" or "characters"
        self.spec = spec
        self.used = used
        self.requested = requested
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(
            f"Rate limit reached on {kind} ({spec.describe()}): limit {spec.limit}, "
            f"used {used}, requested {requested}. Please try again in {self.retry_after}s."
        )


class KeysUnavailableError(AccessError):
    """The key store on the bus cannot be read right now (503); nothing is let through."""
