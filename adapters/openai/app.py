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
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from adapters.asgi_server import AsgiServer
from adapters.http_guard import HttpLimits
from adapters.openai import (
    api_docs,
    api_keys,
    cache_routes,
    engines_routes,
    errors,
    health,
    jobs,
    metrics,
    models,
    provider,
    speech,
    voice_library,
    voices,
    web_page,
)
from adapters.openai.context import AdapterContext
from adapters.openai.limits import BodyLimitMiddleware
from adapters.openai.metrics import HttpMetricsMiddleware
from adapters.openai.settings import OpenAISettings
from hub.client import HubClient
from hub.jobs import JobSettings
from hub.keys import AccessError

_LOGGER = logging.getLogger(__name__)

_EXPOSED_HEADERS = [
    "X-Voicebus-Engine",
    "X-Voicebus-Voice",
    "X-Voicebus-Sample-Rate",
    "X-Voicebus-Sentences",
    "X-Voicebus-Cache",
    "X-Audio-Duration",
    "X-Generation-Time",
    "X-Real-Time-Factor",
    "Retry-After",
]

_DESCRIPTION = """\
OpenAI-compatible text-to-speech over the voicebus hub. Point any OpenAI client at
`<this server>/v1`. See docs/openai.md for voices, models, formats and streaming rules.
"""


def create_app(
    settings: OpenAISettings, hub: HubClient, job_settings: JobSettings | None = None
) -> FastAPI:
    """The FastAPI app: routes, the one error handler, metrics and the encoding threads;
    and the job runner (``job_settings``: ``VOICEBUS_JOBS_*`` when not given)."""
    context = AdapterContext.build(settings, hub)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with contextlib.suppress(AccessError):  # logged; the first request tries again
            await context.gate.start()
        async with jobs.running(app):
            yield
        await context.gate.close()
        context.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="voicebus OpenAI-compatible TTS",
        version=importlib.metadata.version("voicebus"),
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # api_docs serves /docs with local assets (and no /redoc)
        redoc_url=None,
    )
    app.state.voicebus = context
    jobs.install(app, hub, job_settings or JobSettings())
    errors.install(app)
    for module in (
        speech,
        jobs,
        models,
        voices,
        voice_library,
        provider,
        health,
        metrics,
        api_keys,
        engines_routes,
        api_docs,
        web_page,
        cache_routes,
    ):
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
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=_EXPOSED_HEADERS,
        )
    return app


class OpenAIAdapter:
    def __init__(
        self, settings: OpenAISettings, hub: HubClient, job_settings: JobSettings | None = None
    ) -> None:
        self.settings = settings
        self.hub = hub
        self.app = create_app(settings, hub, job_settings)
        config = uvicorn.Config(
            self.app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            access_log=settings.access_log,
            log_config=None,  # keep the process's logging setup
            timeout_graceful_shutdown=settings.shutdown_timeout,
            lifespan="on",
        )
        # BodyLimitMiddleware bounds the body (its time and size) inside the app.
        limits = HttpLimits(settings.header_timeout, None, settings.max_connections)
        self._http = AsgiServer(config, "OpenAI adapter", limits)

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``); valid once started."""
        return self._http.port

    async def wait_started(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._http.started.wait(), timeout)

    async def serve(self, stop: asyncio.Event) -> None:
        await self._http.serve(stop)
        _LOGGER.info("OpenAI adapter stopped")
