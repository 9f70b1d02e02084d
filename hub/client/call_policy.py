"""How long a sentence call waits, and the errors that decide a retry or a fallback."""

from __future__ import annotations

from dataclasses import dataclass

from hub.contract.errors import EngineUnavailableError, SynthesisTimeoutError
from hub.contract.schemas import ErrorCode


@dataclass(frozen=True)
class CallOptions:
    start_timeout: float = 5.0
    idle_timeout: float = 5.0
    sentence_timeout: float = 120.0
    retries: int = 1


class WorkerLostError(SynthesisTimeoutError):
    """The worker went silent: it died, or the request was lost in a reconnect."""


class NoWorkersError(EngineUnavailableError):
    """No worker subscribes to the engine's subject (NATS answered 503)."""


class BusUnreachableError(EngineUnavailableError):
    """The connection to NATS is down (a restart, a network cut): nobody can answer."""


def bus_unreachable() -> BusUnreachableError:
    """The one error every adapter gives while the hub client is not connected to NATS."""
    return BusUnreachableError(
        "the message bus is unreachable",
        "check that nats-server is running; voicebus reconnects by itself",
    )


FALLBACK_CODES = frozenset(
    {
        ErrorCode.ENGINE_UNAVAILABLE,
        ErrorCode.ENGINE_OVERLOADED,
        ErrorCode.TIMEOUT,
        ErrorCode.INTERNAL,
    }
)
"""Errors before the first chunk that move a sentence to the next engine of its chain."""
