"""Fixtures of the Twilio adapter tests: a running adapter on the shared hub client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.twilio.app import TwilioAdapter
from hub.client import HubClient
from tests.adapters.twilio.support import running_adapter, twilio_settings


@pytest.fixture(scope="session")
async def twilio_server(hub: HubClient) -> AsyncIterator[TwilioAdapter]:
    async with running_adapter(twilio_settings(), hub) as adapter:
        yield adapter
