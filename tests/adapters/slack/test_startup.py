"""Starting: a bad token, an unreachable Slack or a refused Socket Mode fail this adapter
alone, with a message that says what to fix and holds no secret; the CLI knows the adapter."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.slack.app import SlackAdapter
from adapters.slack.startup import SlackStartupError
from hub.client import HubClient
from hub.process.natsserver import NatsServer
from tests.adapters.slack.mock_slack import MockSlack
from tests.adapters.slack.support import SIGNING_SECRET, settings_for
from tests.conftest import client_settings
from tests.helpers import free_port

APP_TOKEN = "xapp-1-secret-app-token"


async def serve_once(adapter: SlackAdapter) -> None:
    await asyncio.wait_for(adapter.serve(asyncio.Event()), 10)


async def test_a_rejected_token_fails_with_a_clear_error(
    slack_api: MockSlack, hub: HubClient, caplog: pytest.LogCaptureFixture
):
    settings = settings_for(slack_api, bot_token="xoxb-revoked-secret")
    with pytest.raises(SlackStartupError, match=r"rejected the bot token \(invalid_auth\)") as err:
        await serve_once(SlackAdapter(settings, hub))
    assert "xoxb-revoked-secret" not in str(err.value) + caplog.text
    assert "xoxb-revoked-secret" not in repr(settings)
    assert SIGNING_SECRET not in repr(settings)


async def test_an_unreachable_slack_fails_with_a_clear_error(hub: HubClient):
    settings = settings_for(MockSlack(port=free_port()))
    with pytest.raises(SlackStartupError, match="cannot reach Slack's Web API"):
        await serve_once(SlackAdapter(settings, hub))


async def test_missing_secrets_are_named(slack_api: MockSlack, hub: HubClient):
    with pytest.raises(SlackStartupError, match="VOICEBUS_SLACK_BOT_TOKEN"):
        await serve_once(SlackAdapter(settings_for(slack_api, bot_token=""), hub))
    with pytest.raises(SlackStartupError, match="VOICEBUS_SLACK_SIGNING_SECRET"):
        await serve_once(SlackAdapter(settings_for(slack_api, signing_secret=""), hub))


async def test_an_app_token_chooses_socket_mode(
    slack_api: MockSlack, hub: HubClient, bucket: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="adapters.slack")
    settings = settings_for(slack_api, app_token=APP_TOKEN, signing_secret="", voice_bucket=bucket)
    adapter = SlackAdapter(settings, hub)
    with pytest.raises(SlackStartupError, match=r"refused Socket Mode.*invalid_auth"):
        await serve_once(adapter)
    [opened] = slack_api.of("apps.connections.open")
    assert opened.token == APP_TOKEN  # Socket Mode asked for its WebSocket with the app token
    assert adapter.port is None, "no HTTP server in Socket Mode"
    assert APP_TOKEN not in caplog.text


def test_the_cli_knows_the_adapter_and_its_settings() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "hub.cli", "adapter", "slack", "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    for flag in ("--bot-token", "--signing-secret", "--app-token", "--api-url", "--port"):
        assert flag in shown, shown


async def test_a_server_without_jetstream_fails_with_a_clear_error(
    slack_api: MockSlack, tmp_path: Path
):
    server = NatsServer(tmp_path / "nats", jetstream=False)
    server.start()
    try:
        async with await HubClient.connect(client_settings(server.url), "no-js") as hub:
            with pytest.raises(SlackStartupError, match="is JetStream enabled"):
                await serve_once(SlackAdapter(settings_for(slack_api), hub))
    finally:
        server.stop()
