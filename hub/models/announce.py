"""Pull an engine's weights at start-up while the bus sees the worker as ``loading``.

The engine's constructor runs before its runner connects, so this opens a short-lived
connection of its own and announces a placeholder worker (state ``loading``, no voices, not
accepting requests) every heartbeat until the pull ends, then announces it ``stopping`` so
discovery drops it as the real worker appears.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable
from typing import TypeVar

from hub.bus import connect
from hub.contract.schemas import EngineAnnouncement, EngineState
from hub.contract.subjects import Subjects
from hub.settings import NatsOptions

T = TypeVar("T")


def while_announcing_loading(
    nats: NatsOptions,
    engine: str,
    model: str,
    heartbeat_seconds: float,
    work: Callable[[], T],
) -> T:
    """Run ``work`` (blocking) in a thread while announcing ``engine`` as loading."""
    return asyncio.run(_announcing(nats, engine, model, heartbeat_seconds, work))


async def _announcing(
    nats: NatsOptions, engine: str, model: str, heartbeat: float, work: Callable[[], T]
) -> T:
    instance = f"{engine}-pull-{uuid.uuid4().hex[:8]}"
    nc = await connect(nats, f"voicebus-{instance}")
    subject = Subjects(nats.subject_prefix).announce

    async def announce(state: EngineState) -> None:
        placeholder = EngineAnnouncement(
            engine=engine,
            instance=instance,
            engine_version="",
            voices=[],
            model=model,
            state=state,
            loads_on_demand=False,
            heartbeat_seconds=heartbeat,
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        await nc.publish(subject, placeholder.model_dump_json().encode())

    async def beat() -> None:
        while True:
            with contextlib.suppress(Exception):  # a reconnect in progress: next beat
                await announce(EngineState.LOADING)
            await asyncio.sleep(heartbeat)

    beating = asyncio.ensure_future(beat())
    try:
        return await asyncio.to_thread(work)
    finally:
        beating.cancel()
        with contextlib.suppress(Exception):
            await announce(EngineState.STOPPING)
            await nc.flush()
        await nc.close()
