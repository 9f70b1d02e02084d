"""Fixtures of the OpenAI adapter tests: a running adapter on the shared hub client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.client import HubClient
from hub.process.natsserver import NatsServer
from tests.adapters.openai.support import RunningAdapter, adapter_settings, running_adapter
from tests.conftest import PrivateBus


@pytest.fixture(scope="session")
async def openai_server(hub: HubClient) -> AsyncIterator[RunningAdapter]:
    """The adapter most tests use: no auth, default aliases plus ``gpu-hd``."""
    async with running_adapter(adapter_settings(), hub) as running:
        yield running


@pytest.fixture(scope="session")
async def empty_bus_server(
    nats_server: NatsServer, engine_logs: Path
) -> AsyncIterator[RunningAdapter]:
    """An adapter on a subject prefix where no engine runs."""
    async with PrivateBus.named(nats_server.url, "nobody", engine_logs) as bus:
        hub = await bus.client(discovery_wait=0.3)
        async with running_adapter(adapter_settings(subject_prefix=bus.prefix), hub) as running:
            yield running
