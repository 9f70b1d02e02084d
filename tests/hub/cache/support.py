"""Shared by the cache tests here and in tests/adapters/openai: a bucket of the test's own
and a spy on the synthesis requests that reach the engines."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg

from hub.bus import connect
from hub.settings import CacheSettings
from tests.conftest import client_settings


def cache_settings(**overrides: Any) -> CacheSettings:
    """Cache settings on a fresh bucket (the tests never share entries by accident)."""
    return CacheSettings(enabled=True, bucket=f"test-cache-{uuid.uuid4().hex[:8]}", **overrides)


@dataclass
class SynthRequests:
    """Every synthesis request published to the engines (a plain subscription sees them all)."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    def count(self, text: str) -> int:
        return sum(1 for request in self.requests if request["text"] == text)

    def of(self, text: str) -> list[dict[str, Any]]:
        return [request for request in self.requests if request["text"] == text]


@contextlib.asynccontextmanager
async def spy_on_synthesis(url: str, prefix: str = "voicebus") -> AsyncIterator[SynthRequests]:
    seen = SynthRequests()
    nc = await connect(client_settings(url), "test-synth-spy")

    async def record(msg: Msg) -> None:
        seen.requests.append(json.loads(msg.data))

    await nc.subscribe(f"{prefix}.synth.*", cb=record)
    await nc.flush()
    try:
        yield seen
    finally:
        await nc.drain()
