"""The Slack adapter process: Bolt's async app over HTTP or Socket Mode.

HTTP mode serves ``POST /slack/events`` (slash commands, events and interactivity on one
URL, as Bolt does) with uvicorn on the adapter's port; Bolt checks every request's signature
and answers 401 to a bad or stale one. With an app token the adapter uses Socket Mode
instead: no public URL, Slack pushes over a WebSocket the adapter opens.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import commands, events
from adapters.slack.http import serve_http
from adapters.slack.messages import slack_error_code
from adapters.slack.service import SpeechService
from adapters.slack.settings import SlackSettings
from adapters.slack.startup import (
    SlackStartupError,
    check_settings,
    open_stores,
    verify_token,
)
from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)


def build_app(service: SpeechService, *, verify_requests: bool = True) -> AsyncApp:
    """The Bolt app with every listener; ``verify_requests`` False only for Socket Mode."""
    settings = service.settings
    app = AsyncApp(
        client=service.client,
        signing_secret=settings.signing_secret.get_secret_value() if verify_requests else None,
        request_verification_enabled=verify_requests,
        logger=logging.getLogger("adapters.slack.bolt"),
    )
    commands.register(app, service)
    events.register(app, service)
    return app


class SlackAdapter:
    def __init__(self, settings: SlackSettings, hub: HubClient) -> None:
        self.settings, self.hub = settings, hub
        self.port: int | None = None
        """The HTTP port bound (with ``port=0``), once started."""
        self.started = asyncio.Event()

    async def serve(self, stop: asyncio.Event) -> None:
        """Check the token with Slack, then serve until ``stop``; raise if it cannot start."""
        check_settings(self.settings)
        client = AsyncWebClient(
            token=self.settings.bot_token.get_secret_value(), base_url=self.settings.api_url
        )
        identity = await verify_token(client, self.settings.api_url)
        _LOGGER.info("Slack bot %s of team %s", identity.get("user_id"), identity.get("team_id"))
        preferences, ledger = await open_stores(self.settings, self.hub)
        service = SpeechService(self.settings, self.hub, client, preferences, ledger)
        if self.settings.socket_mode:
            await self._serve_socket_mode(build_app(service, verify_requests=False), stop)
        else:
            await serve_http(self, build_app(service), stop)
        _LOGGER.info("Slack adapter stopped")

    async def _serve_socket_mode(self, app: AsyncApp, stop: asyncio.Event) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert self.settings.app_token is not None
        app_token = self.settings.app_token.get_secret_value()
        try:  # Bolt's client would retry a refused token forever: ask once ourselves
            opened = await app.client.apps_connections_open(app_token=app_token)
        except SlackApiError as error:
            code = slack_error_code(error) or "no error code"
            raise SlackStartupError(
                f"Slack refused Socket Mode for the app token ({code})"
            ) from None
        handler = AsyncSocketModeHandler(app, app_token)
        handler.client.wss_uri = str(opened["url"])  # connect to the URL just issued
        await handler.connect_async()
        _LOGGER.info("Slack adapter connected in Socket Mode")
        self.started.set()
        try:
            await stop.wait()
        finally:
            await handler.close_async()
