"""API keys with scopes and rate limits, stored hashed in JetStream KV (docs/keys.md).

:class:`KeyStore` creates, lists and revokes keys; :class:`Gatekeeper` is what an adapter
asks on every request; the counters of :class:`RateLimiter` live on the bus, so every
adapter process on every host shares one limit per key.
"""

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
from hub.keys.store import KeyNotFoundError, KeyStore, bucket_name

__all__ = [
    "AccessError",
    "AuthMode",
    "Caller",
    "Gatekeeper",
    "InvalidKeyError",
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
