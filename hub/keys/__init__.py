"""API keys with scopes and rate limits, stored hashed in JetStream KV (docs/keys.md).

:class:`KeyStore` creates, lists and revokes keys; :class:`Gatekeeper` is what an adapter
asks on every request; the counters of :class:`RateLimiter` live on the bus, so every
adapter process on every host shares one limit per key.

Names are imported on first use (PEP 562), so ``voicebus --help`` does not load NATS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.keys.errors import (
        AccessError,
        InvalidKeyError,
        KeysUnavailableError,
        MissingKeyError,
        RateLimitedError,
        ScopeError,
    )
    from hub.keys.gate import AuthMode, Caller, Gatekeeper
    from hub.keys.limiter import RateLimiter
    from hub.keys.model import KeyRecord, Scope, parse_scopes
    from hub.keys.ring import KeyRing
    from hub.keys.spec import RateSpec, RateSpecError
    from hub.keys.store import KeyExistsError, KeyNotFoundError, KeyStore, bucket_name

_WHERE = {
    "AccessError": "errors",
    "InvalidKeyError": "errors",
    "KeysUnavailableError": "errors",
    "MissingKeyError": "errors",
    "RateLimitedError": "errors",
    "ScopeError": "errors",
    "AuthMode": "gate",
    "Caller": "gate",
    "Gatekeeper": "gate",
    "RateLimiter": "limiter",
    "KeyRecord": "model",
    "Scope": "model",
    "parse_scopes": "model",
    "KeyRing": "ring",
    "RateSpec": "spec",
    "RateSpecError": "spec",
    "KeyExistsError": "store",
    "KeyNotFoundError": "store",
    "KeyStore": "store",
    "bucket_name": "store",
}

__all__ = [
    "AccessError",
    "AuthMode",
    "Caller",
    "Gatekeeper",
    "InvalidKeyError",
    "KeyExistsError",
    "KeyNotFoundError",
    "KeyRecord",
    "KeyRing",
    "KeyStore",
    "KeysUnavailableError",
    "MissingKeyError",
    "RateLimitedError",
    "RateLimiter",
    "RateSpec",
    "RateSpecError",
    "Scope",
    "ScopeError",
    "bucket_name",
    "parse_scopes",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hub.keys' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hub.keys.{module}"), name)
