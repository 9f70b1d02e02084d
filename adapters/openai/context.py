"""What every route needs, held by the app (no globals): settings, hub, metrics, threads.

Routes take it as a dependency (``ctx: Context``); API keys are checked by the dependencies
of adapters/openai/auth.py (``require_scope``), through the context's :class:`Gatekeeper`:
static ``api_keys`` from the settings are all-powerful, run-time keys come from the bus.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from adapters.openai.auth import require_provider_key, require_scope
from adapters.openai.catalog import Catalog
from adapters.openai.metrics import AdapterMetrics
from adapters.openai.settings import OpenAISettings
from hub.client import HubClient
from hub.keys import Gatekeeper, Scope


@dataclass
class AdapterContext:
    settings: OpenAISettings
    hub: HubClient
    catalog: Catalog
    metrics: AdapterMetrics
    executor: ThreadPoolExecutor
    gate: Gatekeeper
    created: int = field(default_factory=lambda: int(time.time()))

    @classmethod
    def build(cls, settings: OpenAISettings, hub: HubClient) -> AdapterContext:
        executor = ThreadPoolExecutor(
            max_workers=settings.encode_threads, thread_name_prefix="openai-encode"
        )
        static = [key.get_secret_value() for key in settings.api_keys]
        gate = hub.gatekeeper(static, settings.auth)
        return cls(settings, hub, Catalog(settings, hub), AdapterMetrics(), executor, gate)


def get_context(request: Request) -> AdapterContext:
    context: AdapterContext = request.app.state.voicebus
    return context


Context = Annotated[AdapterContext, Depends(get_context)]


require_api_key = require_scope(Scope.ADMIN.value)
"""For routes not yet given their scope: admin only (fail closed). Prefer ``require_scope``."""

__all__ = [
    "AdapterContext",
    "Context",
    "get_context",
    "require_api_key",
    "require_provider_key",
    "require_scope",
]
