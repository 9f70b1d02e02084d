"""What the cache reports: this process's hits and misses, and the shared store's state."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field


@dataclass
class CacheCounters:
    """Lookups of this process (every adapter in it shares one hub client and its cache)."""

    hits: int = 0
    misses: int = 0
    stored: int = 0
    """Clips this process added to the cache."""
    shared: int = 0
    """Sentences that joined a synthesis already in flight instead of starting one."""


class StoreState(BaseModel):
    """The shared store as JetStream sees it (the same from every process on the bus)."""

    entries: int
    bytes: int
    budget_bytes: int
    ttl_seconds: float
    evictions: int = Field(description="Clips dropped for the budget or the TTL.")


class CacheStats(BaseModel):
    """``GET /v1/cache`` and ``voicebus cache stats``."""

    enabled: bool = Field(default=True, description="False when the cache is switched off.")
    entries: int
    bytes: int
    budget_bytes: int
    ttl_seconds: float
    hits: int = Field(description="Sentences served from the cache by this process.")
    misses: int = Field(description="Sentences this process looked up and had to synthesize.")
    evictions: int

    @classmethod
    def of(cls, state: StoreState, counters: CacheCounters) -> CacheStats:
        return cls(**state.model_dump(), hits=counters.hits, misses=counters.misses)

    @classmethod
    def disabled(cls) -> CacheStats:
        """What an adapter whose cache is switched off reports: nothing kept, nothing served."""
        return cls(
            enabled=False,
            entries=0,
            bytes=0,
            budget_bytes=0,
            ttl_seconds=0.0,
            hits=0,
            misses=0,
            evictions=0,
        )
