"""What is on the bus right now: voices and engine workers (``voicebus voices/engines``)."""

from __future__ import annotations

import asyncio

from hub.client import ClientSettings, HubClient
from hub.discovery import VoiceRoute
from hub.schemas import EngineAnnouncement


async def _connected(nats_url: str | None) -> HubClient:
    settings = ClientSettings(**({"nats_url": nats_url} if nats_url else {}))
    hub = await HubClient.connect(settings, "voicebus-inspect")
    # Workers answer the discovery ping at once; give them a moment to arrive.
    if await hub.discovery.wait_for(timeout=1.0):
        await asyncio.sleep(0.3)  # let the other workers' answers arrive too
    return hub


async def list_voices(nats_url: str | None = None) -> list[VoiceRoute]:
    async with await _connected(nats_url) as hub:
        return hub.voices()


async def list_workers(nats_url: str | None = None) -> list[EngineAnnouncement]:
    async with await _connected(nats_url) as hub:
        return sorted(hub.discovery.workers(), key=lambda w: (w.engine, w.instance))
