"""Fixtures of the audio cache tests: a caching hub client on a bucket of the test's own,
and a count of the synthesis requests that reach the engines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hub.client import HubClient
from hub.process.natsserver import NatsServer
from tests.conftest import DEFAULT_VOICE, EngineProcess, client_settings
from tests.hub.cache.support import SynthRequests, cache_settings, spy_on_synthesis


@pytest.fixture
async def synth_requests(nats_server: NatsServer) -> AsyncIterator[SynthRequests]:
    async with spy_on_synthesis(nats_server.url) as seen:
        yield seen


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
