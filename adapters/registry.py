"""Adapter names the CLI knows: ``(adapter class, settings class)`` as import paths.

An adapter class is built as ``Adapter(settings, hub)`` and served with
``await adapter.serve(stop_event)``; it returns once ``stop_event`` is set and its
connections are closed.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any, Protocol

from hub.client import HubClient
from hub.settings import VoicebusSettings

ADAPTERS: dict[str, tuple[str, str]] = {
    "openai": ("adapters.openai.app:OpenAIAdapter", "adapters.openai.settings:OpenAISettings"),
    "wyoming": (
        "adapters.wyoming.server:WyomingAdapter",
        "adapters.wyoming.settings:WyomingSettings",
    ),
}


class Adapter(Protocol):
    async def serve(self, stop: asyncio.Event) -> None: ...


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def known() -> list[str]:
    return sorted(ADAPTERS)


def settings_class(name: str) -> type[VoicebusSettings]:
    if name not in ADAPTERS:
        raise KeyError(f"unknown adapter {name!r}; known adapters: {', '.join(known()) or 'none'}")
    cls: type[VoicebusSettings] = _load(ADAPTERS[name][1])
    return cls


def build(name: str, settings: VoicebusSettings, hub: HubClient) -> Adapter:
    adapter: Adapter = _load(ADAPTERS[name][0])(settings, hub)
    return adapter
