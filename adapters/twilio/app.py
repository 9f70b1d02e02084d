"""The Twilio adapter: ``create_app(settings, hub)`` and :class:`TwilioAdapter`.

``TwilioAdapter(settings, hub).serve(stop)`` subscribes to the call commands on the bus and
runs uvicorn until ``stop`` is set. It refuses to start without an auth token (nothing
could be verified), which fails only this adapter; the supervisor retries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from adapters.twilio import bus, control, webhook
from adapters.twilio.context import TwilioContext
from adapters.twilio.media import handle_media
from adapters.twilio.settings import TwilioSettings
from adapters.twilio.twiml import MEDIA_PATH
from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)


def create_app(settings: TwilioSettings, hub: HubClient) -> FastAPI:
    context = TwilioContext.build(settings, hub)
    app = FastAPI(title="voicebus Twilio adapter", docs_url=None, redoc_url=None)
    app.state.twilio = context
    app.include_router(webhook.router)
    app.include_router(control.router)

    @app.websocket(MEDIA_PATH)
    async def media(ws: WebSocket) -> None:
        await handle_media(ws, context)

    @app.exception_handler(control.ControlError)
    async def control_error(_: Request, error: control.ControlError) -> JSONResponse:
        return control.error_response(error.status, error.message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, error: RequestValidationError) -> JSONResponse:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return control.error_response(400, f"invalid request: {fields}")

    return app


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling (the caller owns signals)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class TwilioAdapter:
    def __init__(self, settings: TwilioSettings, hub: HubClient) -> None:
        self.settings, self.hub = settings, hub
        self.app = create_app(settings, hub)
        self.context: TwilioContext = self.app.state.twilio
        self._server: _Server | None = None
        self._started = asyncio.Event()

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``); valid once started."""
        if self._server is None or not self._server.servers:
            raise RuntimeError("the adapter is not listening yet")
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    async def wait_started(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._started.wait(), timeout)

    async def serve(self, stop: asyncio.Event) -> None:
        if not self.settings.auth_token.get_secret_value():
            raise ValueError("twilio.auth_token is not set (VOICEBUS_TWILIO_AUTH_TOKEN)")
        subscription = await bus.subscribe(self.context)
        config = uvicorn.Config(
            self.app,
            host=self.settings.host,
            port=self.settings.port,
            log_level=self.settings.log_level.lower(),
            log_config=None,
            lifespan="off",
            ws="websockets-sansio",
        )
        server = _Server(config)
        self._server = server
        serving = asyncio.create_task(self._run(server), name="twilio-adapter")
        watcher = asyncio.create_task(self._announce(server), name="twilio-adapter-started")
        stopping = asyncio.create_task(stop.wait(), name="twilio-adapter-stop")
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            server.should_exit = True
            await serving
        finally:
            for task in (watcher, stopping, serving):
                task.cancel()
            server.should_exit = True
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        _LOGGER.info("Twilio adapter stopped")

    async def _run(self, server: _Server) -> None:
        try:
            await server.serve()
        except SystemExit as exit_:  # uvicorn exits on a bind failure
            raise OSError(
                f"Twilio adapter could not start on {self.settings.host}:{self.settings.port}"
            ) from exit_

    async def _announce(self, server: _Server) -> None:
        while not server.started:
            await asyncio.sleep(0.01)
        self._started.set()
        _LOGGER.info("Twilio adapter listening on %s:%d", self.settings.host, self.port)
