"""Fixtures of the audio cache tests: a caching hub client on a bucket of the test's own,
and a count of the synthesis requests that reach the engines."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from hub.bus import connect
from hub.client import HubClient
from hub.process.natsserver import NatsServer
from hub.settings import CacheSettings
from tests.conftest import DEFAULT_VOICE, EngineProcess, client_settings


def cache_settings(**overrides: object) -> CacheSettings:
    """Cache settings on a fresh bucket (the tests never share entries by accident)."""
    return CacheSettings(enabled=True, bucket=f"test-cache-{uuid.uuid4().hex[:8]}", **overrides)


@dataclass
class SynthRequests:
    """Every synthesis request published to the engines (a plain subscription sees them all)."""

    texts: list[str] = field(default_factory=list)

    def count(self, text: str) -> int:
        return self.texts.count(text)


@pytest.fixture
async def synth_requests(nats_server: NatsServer) -> AsyncIterator[SynthRequests]:
    seen = SynthRequests()
    nc: Client = await connect(client_settings(nats_server.url), "test-synth-spy")

    async def record(msg: Msg) -> None:
        seen.texts.append(json.loads(msg.data)["text"])

    await nc.subscribe("voicebus.synth.*", cb=record)
    await nc.flush()
    yield seen
    await nc.drain()


@pytest.fixture
async def cached_hub(
    nats_server: NatsServer, piper_engine: EngineProcess
) -> AsyncIterator[HubClient]:
    """A hub client with the cache on, on the session's bus and Piper worker."""
    settings = client_settings(nats_server.url, cache=cache_settings())
    client = await HubClient.connect(settings, "test-cache")
    await client.wait_for_voice(DEFAULT_VOICE)
    yield client
    await client.close()
