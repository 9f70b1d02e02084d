"""The Twilio adapter: ``create_app(settings, hub)`` and :class:`TwilioAdapter`.

``TwilioAdapter(settings, hub).serve(stop)`` subscribes to the call commands on the bus and
runs uvicorn until ``stop`` is set. It refuses to start without an auth token (nothing
could be verified), which fails only this adapter; the supervisor retries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import uvicorn
from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from adapters.asgi_server import AsgiServer
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
        return control.error_response(error.status, error.message, error.code, error.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, error: RequestValidationError) -> JSONResponse:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return control.error_response(400, f"invalid request: {fields}")

    return app


class TwilioAdapter:
    def __init__(self, settings: TwilioSettings, hub: HubClient) -> None:
        self.settings, self.hub = settings, hub
        self.app = create_app(settings, hub)
        self.context: TwilioContext = self.app.state.twilio
        config = uvicorn.Config(
            self.app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            log_config=None,
            lifespan="off",
            ws="websockets-sansio",
        )
        self._http = AsgiServer(config, "Twilio adapter")

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``); valid once started."""
        return self._http.port

    async def wait_started(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._http.started.wait(), timeout)

    async def serve(self, stop: asyncio.Event) -> None:
        if not self.settings.auth_token.get_secret_value():
            raise ValueError("twilio.auth_token is not set (VOICEBUS_TWILIO_AUTH_TOKEN)")
        subscription = await bus.subscribe(self.context)
        try:
            await self._http.serve(stop)
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
            await control.close_gatekeeper(self.app)
        _LOGGER.info("Twilio adapter stopped")
