"""What is on the bus right now: voices and engine workers (``voicebus voices/engines``).

Each function is one CLI command: one client connection, one discovery round (returning as
soon as the workers answered), then the answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from hub.client import ClientSettings, ControlAnswer, HubClient, VoiceRoute
from hub.contract.schemas import ControlCommand, EngineAnnouncement

_DISCOVERY_TIMEOUT = 1.0


def settings_for(nats_url: str | None) -> ClientSettings:
    return ClientSettings(**({"nats_url": nats_url} if nats_url else {}))


@contextlib.asynccontextmanager
async def inspecting(settings: ClientSettings) -> AsyncIterator[HubClient]:
    """A connected client whose discovery has heard from the running workers."""
    async with await HubClient.connect(settings, "voicebus-inspect") as hub:
        await hub.refresh(timeout=_DISCOVERY_TIMEOUT)
        yield hub


async def list_voices(settings: ClientSettings) -> list[VoiceRoute]:
    async with inspecting(settings) as hub:
        return hub.voices()


async def list_workers(settings: ClientSettings) -> list[EngineAnnouncement]:
    async with inspecting(settings) as hub:
        return sorted(hub.workers(), key=lambda w: (w.engine, w.instance))


async def control(
    settings: ClientSettings, engine: str, command: ControlCommand, timeout: float = 120.0
) -> list[ControlAnswer]:
    """Send a control command to every worker of ``engine``; one answer per worker."""
    async with inspecting(settings) as hub:
        return await hub.control(engine, command, timeout)


async def control_engines(
    settings: ClientSettings, engines: list[str], command: ControlCommand, timeout: float = 120.0
) -> dict[str, list[ControlAnswer]]:
    """``control`` for several engines over one connection: answers by engine name."""
    async with inspecting(settings) as hub:
        return {engine: await hub.control(engine, command, timeout) for engine in engines}


async def engines_on(settings: ClientSettings, *, gpu_only: bool) -> list[str]:
    """Engine names running now (only those on a non-CPU device with ``gpu_only``)."""
    workers = await list_workers(settings)
    return sorted({w.engine for w in workers if not gpu_only or w.device != "cpu"})
