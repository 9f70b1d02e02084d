"""What every route needs, held by the app (no globals): settings, hub, metrics, threads.

Routes take it as a dependency (``ctx: Context``); the API-key check is a dependency too.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from adapters.openai.catalog import Catalog
from adapters.openai.errors import INVALID_REQUEST, ApiError
from adapters.openai.metrics import AdapterMetrics
from adapters.openai.settings import OpenAISettings
from hub.client import HubClient


@dataclass
class AdapterContext:
    settings: OpenAISettings
    hub: HubClient
    catalog: Catalog
    metrics: AdapterMetrics
    executor: ThreadPoolExecutor
    created: int = field(default_factory=lambda: int(time.time()))

    @classmethod
    def build(cls, settings: OpenAISettings, hub: HubClient) -> AdapterContext:
        executor = ThreadPoolExecutor(
            max_workers=settings.encode_threads, thread_name_prefix="openai-encode"
        )
        return cls(settings, hub, Catalog(settings, hub), AdapterMetrics(), executor)


def get_context(request: Request) -> AdapterContext:
    context: AdapterContext = request.app.state.voicebus
    return context


Context = Annotated[AdapterContext, Depends(get_context)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def check_api_key(request: Request, settings: OpenAISettings) -> None:
    if not settings.auth_enabled:
        return
    token = _bearer(request)
    challenge = {"WWW-Authenticate": "Bearer"}
    if token is None:
        raise ApiError(
            401,
            "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
            code="missing_api_key",
            type=INVALID_REQUEST,
            headers=challenge,
        )
    if not settings.accepts_key(token):
        raise ApiError(
            401,
            "Incorrect API key provided.",
            code="invalid_api_key",
            type=INVALID_REQUEST,
            headers=challenge,
        )


async def require_api_key(request: Request, ctx: Context) -> None:
    """Dependency of the /v1 routes: the bearer key, when keys are configured."""
    check_api_key(request, ctx.settings)


async def require_provider_key(request: Request, ctx: Context) -> None:
    """Dependency of the /tts provider routes (optional: Voicebox sends no key)."""
    if ctx.settings.provider_api_auth:
        check_api_key(request, ctx.settings)
