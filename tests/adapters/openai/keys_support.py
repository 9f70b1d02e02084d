"""Shared parts of the API key tests: a bus of their own with a real Piper engine, adapters
on it, a key store on another connection (the admin is another process), and helpers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import nats
from nats.aio.client import Client

from hub.keys import KeyRecord, KeyStore, RateSpec, Scope
from tests.adapters.openai.support import RunningAdapter, adapter_settings, running_adapter
from tests.conftest import DEFAULT_VOICE, PrivateBus


@dataclass
class KeyedBus:
    """A private bus with a Piper engine, and the admin's key store on it."""

    bus: PrivateBus
    admin_nc: Client
    store: KeyStore

    async def create(
        self, name: str, *scopes: str, rate: str | None = None, chars: str | None = None
    ) -> tuple[KeyRecord, str]:
        return await self.store.create(
            name,
            frozenset(Scope(scope) for scope in scopes),
            RateSpec.parse(rate) if rate else None,
            RateSpec.parse(chars) if chars else None,
        )

    @contextlib.asynccontextmanager
    async def adapter(self, **settings: Any) -> AsyncIterator[RunningAdapter]:
        """A REST adapter on this bus, with a hub client (NATS connection) of its own."""
        hub = await self.bus.client(voice=DEFAULT_VOICE)
        async with running_adapter(adapter_settings(**settings), hub) as running:
            yield running


@contextlib.asynccontextmanager
async def keyed_bus(url: str, engine_logs: Path, name: str) -> AsyncIterator[KeyedBus]:
    async with PrivateBus.named(url, name, engine_logs) as bus:
        bus.engine()
        admin_nc = await nats.connect(url)
        try:
            yield KeyedBus(bus, admin_nc, await KeyStore.open(admin_nc, bus.prefix))
        finally:
            await admin_nc.close()


async def known(server: RunningAdapter, *records: KeyRecord) -> None:
    """Wait (at most 1 s) until the adapter holds these key records as they are now."""
    gate = server.adapter.app.state.voicebus.gate
    await gate.start()
    await gate.ring.wait_for(
        lambda ring: all(ring.records.get(r.id) == r for r in records), timeout=1.0
    )


def http(server: RunningAdapter, key: str | None = None) -> httpx2.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx2.AsyncClient(base_url=server.url, headers=headers, timeout=60)


SPEECH = {"model": "tts-1", "voice": "alloy", "response_format": "pcm"}
