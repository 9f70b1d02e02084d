"""Fixtures of the Twilio adapter tests: a running adapter on the shared hub client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client

from adapters.twilio.app import TwilioAdapter
from hub.client import HubClient
from hub.process.natsserver import NatsServer
from tests.adapters.twilio.support import running_adapter, twilio_settings


@pytest.fixture(scope="session")
async def twilio_server(hub: HubClient) -> AsyncIterator[TwilioAdapter]:
    async with running_adapter(twilio_settings(), hub) as adapter:
        yield adapter


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[Client]:
    """A plain NATS connection, to watch the bus as any other process would."""
    client = await nats.connect(nats_server.url)
    yield client
    await client.close()
