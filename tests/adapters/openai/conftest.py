"""Fixtures of the OpenAI adapter tests: a running adapter on the shared hub client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hub.client import ClientSettings, HubClient
from hub.process.natsserver import NatsServer
from tests.adapters.openai.support import RunningAdapter, adapter_settings, running_adapter


@pytest.fixture(scope="session")
async def openai_server(hub: HubClient) -> AsyncIterator[RunningAdapter]:
    """The adapter most tests use: no auth, default aliases plus ``gpu-hd``."""
    async with running_adapter(adapter_settings(), hub) as running:
        yield running


@pytest.fixture(scope="session")
async def empty_bus_server(nats_server: NatsServer) -> AsyncIterator[RunningAdapter]:
    """An adapter on a subject prefix where no engine runs."""
    settings = ClientSettings(nats_url=nats_server.url, subject_prefix="nobody", discovery_wait=0.3)
    hub = await HubClient.connect(settings, "voicebus-tests-empty")
    try:
        async with running_adapter(adapter_settings(subject_prefix="nobody"), hub) as running:
            yield running
    finally:
        await hub.close()
