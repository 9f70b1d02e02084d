"""HTTP mode: ``POST /slack/events`` on the adapter's own port, served by uvicorn."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.asgi_server import AsgiServer
from adapters.slack.settings import SlackSettings

_LOGGER = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


class _Owner(Protocol):
    settings: SlackSettings
    port: int | None
    started: asyncio.Event


def create_web_app(app: AsyncApp) -> Starlette:
    handler = AsyncSlackRequestHandler(app)

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route(EVENTS_PATH, slack_events, methods=["POST"])])


async def serve_http(owner: _Owner, app: AsyncApp, stop: asyncio.Event) -> None:
    settings = owner.settings
    config = uvicorn.Config(
        create_web_app(app),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,
        lifespan="off",
    )
    http = AsgiServer(config, "Slack adapter")
    serving = asyncio.create_task(http.serve(stop), name="slack-http")
    started = asyncio.create_task(http.started.wait(), name="slack-http-started")
    try:
        await asyncio.wait({serving, started}, return_when=asyncio.FIRST_COMPLETED)
        if http.started.is_set():
            owner.port = http.port
            owner.started.set()
        await serving
    finally:
        started.cancel()
        serving.cancel()
