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
    """Every synthesis request published to the engines, once per request id (a plain
    subscription sees them all)."""

    requests: dict[str, dict[str, Any]] = field(default_factory=dict)

    def count(self, text: str) -> int:
        return len(self.of(text))

    def of(self, text: str) -> list[dict[str, Any]]:
        return [request for request in self.requests.values() if request["text"] == text]


@contextlib.asynccontextmanager
async def spy_on_synthesis(url: str, prefix: str = "voicebus") -> AsyncIterator[SynthRequests]:
    """Requests go to ``ready.<engine>`` (a worker with a free slot) or ``synth.<engine>``
    (docs/bus.md, work distribution); a request handed back and re-sent keeps its id. The
    spy on ``ready`` means NATS never answers "no responders" there while it listens, so a
    request finding every slot busy waits for the client's ready timeout before it goes to
    ``synth``: fine for these tests, which send one request at a time to an idle worker."""
    seen = SynthRequests()
    nc = await connect(client_settings(url), "test-synth-spy")

    async def record(msg: Msg) -> None:
        request = json.loads(msg.data)
        seen.requests.setdefault(request["request_id"], request)

    for kind in ("ready", "synth"):
        await nc.subscribe(f"{prefix}.{kind}.*", cb=record)
    await nc.flush()
    try:
        yield seen
    finally:
        await nc.drain()
