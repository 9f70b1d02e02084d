"""The OpenAI-compatible REST adapter: ``create_app(settings, hub)`` and its server.

``OpenAIAdapter(settings, hub).serve(stop)`` runs uvicorn until ``stop`` is set, then shuts
down gracefully (open answers get ``shutdown_timeout`` seconds). It installs no signal
handlers: whoever owns the process owns the signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
from collections.abc import AsyncIterator, Iterator

import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from adapters.openai import (
    errors,
    health,
    metrics,
    models,
    provider,
    speech,
    voice_library,
    voices,
)
from adapters.openai.context import AdapterContext
from adapters.openai.http_guard import guarded_protocol
from adapters.openai.limits import BodyLimitMiddleware
from adapters.openai.metrics import HttpMetricsMiddleware
from adapters.openai.settings import OpenAISettings
from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)

_EXPOSED_HEADERS = [
    "X-Voicebus-Engine",
    "X-Voicebus-Voice",
    "X-Voicebus-Sample-Rate",
    "X-Voicebus-Sentences",
    "X-Audio-Duration",
    "X-Generation-Time",
    "X-Real-Time-Factor",
    "Retry-After",
]

_DESCRIPTION = """\
OpenAI-compatible text-to-speech over the voicebus hub. Point any OpenAI client at
`<this server>/v1`. See docs/openai.md for voices, models, formats and streaming rules.
"""


def create_app(settings: OpenAISettings, hub: HubClient) -> FastAPI:
    """The FastAPI app: routes, the one error handler, metrics and the encoding threads."""
    context = AdapterContext.build(settings, hub)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        context.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="voicebus OpenAI-compatible TTS",
        version=importlib.metadata.version("voicebus"),
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.voicebus = context
    errors.install(app)
    for module in (speech, models, voices, voice_library, provider, health, metrics):
        app.include_router(module.router)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
    )
    app.add_middleware(HttpMetricsMiddleware, metrics=context.metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=_EXPOSED_HEADERS,
        )
    return app


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling (the caller owns signals)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class OpenAIAdapter:
    def __init__(self, settings: OpenAISettings, hub: HubClient) -> None:
        self.settings = settings
        self.hub = hub
        self.app = create_app(settings, hub)
        self._server: _Server | None = None
        self._started = asyncio.Event()

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``); valid once started."""
        if self._server is None or not self._server.servers:
            raise RuntimeError("the adapter is not listening yet")
        sockets = self._server.servers[0].sockets
        return int(sockets[0].getsockname()[1])

    async def wait_started(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._started.wait(), timeout)

    async def serve(self, stop: asyncio.Event) -> None:
        config = uvicorn.Config(
            self.app,
            host=self.settings.host,
            port=self.settings.port,
            log_level=self.settings.log_level.lower(),
            access_log=self.settings.access_log,
            log_config=None,  # keep the process's logging setup
            timeout_graceful_shutdown=self.settings.shutdown_timeout,
            lifespan="on",
            http=guarded_protocol(self.settings.header_timeout, self.settings.max_connections),
        )
        server = _Server(config)
        self._server = server
        serving = asyncio.create_task(self._run(server), name="openai-adapter")
        watcher = asyncio.create_task(self._announce(server), name="openai-adapter-started")
        stopping = asyncio.create_task(stop.wait(), name="openai-adapter-stop")
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            server.should_exit = True
            await serving
        finally:
            for task in (watcher, stopping, serving):
                task.cancel()
            server.should_exit = True
        _LOGGER.info("OpenAI adapter stopped")

    async def _run(self, server: _Server) -> None:
        try:
            await server.serve()
        except SystemExit as exit_:  # uvicorn exits on a bind or startup failure
            raise OSError(
                f"OpenAI adapter could not start on {self.settings.host}:{self.settings.port} "
                "(port in use? see the log above)"
            ) from exit_

    async def _announce(self, server: _Server) -> None:
        while not server.started:
            await asyncio.sleep(0.01)
        self._started.set()
        _LOGGER.info("OpenAI adapter listening on http://%s:%d/v1", self.settings.host, self.port)
