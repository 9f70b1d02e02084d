"""HTTP mode: ``POST /slack/events`` on the adapter's own port, served by uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Protocol

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.slack.settings import SlackSettings

_LOGGER = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


class _Owner(Protocol):
    settings: SlackSettings
    port: int | None
    started: asyncio.Event


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling (the caller owns signals)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


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
    server = _Server(config)
    serving = asyncio.create_task(_run(server, settings), name="slack-http")
    stopping = asyncio.create_task(stop.wait(), name="slack-http-stop")
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            owner.port = int(server.servers[0].sockets[0].getsockname()[1])
            _LOGGER.info("Slack adapter on http://%s:%d%s", settings.host, owner.port, EVENTS_PATH)
            owner.started.set()
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await serving
    finally:
        stopping.cancel()
        server.should_exit = True


async def _run(server: _Server, settings: SlackSettings) -> None:
    try:
        await server.serve()
    except SystemExit as exit_:  # uvicorn exits on a bind failure
        raise OSError(
            f"Slack adapter could not listen on {settings.host}:{settings.port} (port in use?)"
        ) from exit_
