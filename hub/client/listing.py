"""What is on the bus right now: voices and engine workers (``voicebus voices/engines``)."""

from __future__ import annotations

import asyncio
import time

import nats.errors

from hub.client import ClientSettings, HubClient
from hub.client.discovery import VoiceRoute
from hub.contract.errors import EngineUnavailableError
from hub.contract.schemas import (
    KIND_HEADER,
    ControlCommand,
    EngineAnnouncement,
    MessageKind,
    StreamError,
)


def settings_for(nats_url: str | None) -> ClientSettings:
    return ClientSettings(**({"nats_url": nats_url} if nats_url else {}))


async def _connected(settings: ClientSettings) -> HubClient:
    hub = await HubClient.connect(settings, "voicebus-inspect")
    # Workers answer the discovery ping at once; give them a moment to arrive.
    if await hub.discovery.wait_for(timeout=1.0):
        await asyncio.sleep(0.3)  # let the other workers' answers arrive too
    return hub


async def list_voices(settings: ClientSettings) -> list[VoiceRoute]:
    async with await _connected(settings) as hub:
        return hub.voices()


async def list_workers(settings: ClientSettings) -> list[EngineAnnouncement]:
    async with await _connected(settings) as hub:
        return sorted(hub.discovery.workers(), key=lambda w: (w.engine, w.instance))


async def control(
    settings: ClientSettings, engine: str, command: ControlCommand, timeout: float = 120.0
) -> list[EngineAnnouncement | StreamError]:
    """Send a control command to every worker of ``engine``; one answer per worker."""
    async with await _connected(settings) as hub:
        expected = hub.discovery.workers_of(engine)
        if not expected:
            known = ", ".join(sorted(hub.discovery.engines())) or "none"
            raise EngineUnavailableError(
                f"no worker of engine {engine!r} is running", f"running engines: {known}"
            )
        inbox = hub.nc.new_inbox()
        sub = await hub.nc.subscribe(inbox)
        await hub.nc.publish(
            hub.subjects.control(engine), command.model_dump_json().encode(), reply=inbox
        )
        answers: list[EngineAnnouncement | StreamError] = []
        deadline = time.monotonic() + timeout
        while len(answers) < expected and time.monotonic() < deadline:
            try:
                msg = await sub.next_msg(timeout=deadline - time.monotonic())
            except nats.errors.TimeoutError:
                break
            if (msg.headers or {}).get(KIND_HEADER) == MessageKind.ERROR:
                answers.append(StreamError.model_validate_json(msg.data))
            else:
                answers.append(EngineAnnouncement.model_validate_json(msg.data))
        await sub.unsubscribe()
        return answers


async def engines_on(settings: ClientSettings, *, gpu_only: bool) -> list[str]:
    """Engine names running now (only those on a non-CPU device with ``gpu_only``)."""
    workers = await list_workers(settings)
    return sorted({w.engine for w in workers if not gpu_only or w.device != "cpu"})
