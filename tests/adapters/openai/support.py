"""Shared parts of the OpenAI adapter tests: the real adapter served by uvicorn on a free
port, in the session's event loop, against the real bus; clients are the official SDK.

The fixtures live in ``tests/adapters/openai/conftest.py``, so every test module there has
them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
from openai import AsyncOpenAI, OpenAI

from adapters.openai.app import OpenAIAdapter
from adapters.openai.settings import OpenAISettings
from hub.client import HubClient

MISSING_ENGINE = "chatterbox"
"""An engine no test runs; the model alias ``gpu-hd`` routes to it."""


def adapter_settings(**overrides: Any) -> OpenAISettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "access_log": False,
        "log_level": "warning",
        "model_aliases": {"gpu-hd": MISSING_ENGINE},
    }
    return OpenAISettings(**(values | overrides))


@dataclass
class RunningAdapter:
    adapter: OpenAIAdapter

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.adapter.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def client(self, api_key: str = "unused") -> OpenAI:
        return OpenAI(base_url=self.base_url, api_key=api_key, max_retries=0, timeout=60)

    def async_client(self, api_key: str = "unused") -> AsyncOpenAI:
        return AsyncOpenAI(base_url=self.base_url, api_key=api_key, max_retries=0, timeout=60)

    def http(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(base_url=self.url, timeout=60)

    def metrics(self) -> str:
        return self.adapter.app.state.voicebus.metrics.render().decode()


@contextlib.asynccontextmanager
async def running_adapter(
    settings: OpenAISettings, hub: HubClient
) -> AsyncIterator[RunningAdapter]:
    adapter = OpenAIAdapter(settings, hub)
    stop = asyncio.Event()
    task = asyncio.create_task(adapter.serve(stop))
    try:
        await adapter.wait_started()
        yield RunningAdapter(adapter)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def speech_seconds(pcm: bytes, rate: int, channels: int = 1) -> float:
    return len(pcm) / (2 * rate * channels)


def sentences(count: int) -> str:
    """``count`` sentences of ordinary English, about two seconds of speech each."""
    topics = [
        "the river runs past the old mill",
        "a small bird sings in the morning",
        "the baker opens the shop at seven",
        "children walk to school along the lane",
        "the clouds move slowly over the hills",
        "a train whistles somewhere far away",
        "the garden smells of rain and roses",
        "an old dog sleeps beside the door",
        "the market fills with voices at noon",
        "the lamps come on as evening falls",
    ]
    return " ".join(
        f"In part {index + 1}, {topics[index % len(topics)]}." for index in range(count)
    )
