"""A mock of Slack's cloud per test, and the adapter served against it and the real bus."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from hub.client import HubClient
from tests.adapters.slack.mock_slack import MockSlack
from tests.adapters.slack.support import RunningAdapter, running, settings_for


@pytest.fixture
async def slack_api() -> AsyncIterator[MockSlack]:
    mock = await MockSlack().start()
    yield mock
    await mock.stop()


@pytest.fixture
def bucket() -> str:
    return f"slack-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def slack(slack_api: MockSlack, hub: HubClient, bucket: str) -> AsyncIterator[RunningAdapter]:
    async with running(settings_for(slack_api, voice_bucket=bucket), hub) as adapter:
        yield adapter
