"""Live view of the engines on the bus, built from their announcements.

Every worker publishes an ``EngineAnnouncement`` on ``<prefix>.discovery.announce`` every
``heartbeat_seconds`` and when asked on ``<prefix>.discovery.ping``. A worker that misses
``expiry_beats`` heartbeats, or announces ``stopping``, is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from hub.contract.schemas import EngineAnnouncement, EngineState, VoiceInfo
from hub.contract.subjects import Subjects

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceRoute:
    """Where a voice lives: the engine serving it and the voice's description."""

    engine: str
    voice: VoiceInfo


@dataclass
class _Seen:
    announcement: EngineAnnouncement
    at: float


def accepts_requests(worker: EngineAnnouncement) -> bool:
    """Warm, or unloaded but willing to load on the next request."""
    if worker.state is EngineState.WARM:
        return True
    return worker.state in (EngineState.UNLOADED, EngineState.LOADING) and worker.loads_on_demand


class Discovery:
    def __init__(self, nc: Client, subjects: Subjects, expiry_beats: float = 2.5) -> None:
        self._nc = nc
        self._subjects = subjects
        self._expiry_beats = expiry_beats
        self._workers: dict[str, _Seen] = {}
        self._sub: Subscription | None = None
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self._sub = await self._nc.subscribe(self._subjects.announce, cb=self._on_announce)
        await self._nc.flush()
        await self.refresh()

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    async def refresh(self) -> None:
        """Ask every worker to announce itself now."""
        await self._nc.publish(self._subjects.discover, b"")
        await self._nc.flush()

    async def poll(self, timeout: float = 1.0, settle: float = 0.05) -> list[EngineAnnouncement]:
        """Ping every worker, then wait (at most ``timeout``) until each worker known before
        the ping has answered; when none was known, until the first answer and then until no
        new worker appeared for ``settle`` seconds. Returns the live workers."""
        asked = time.monotonic()
        known = {worker.instance for worker in self.workers()}
        await self.refresh()
        if known:
            await self.wait_for(lambda d: d._answered(known, asked), timeout)
        elif await self.wait_for(timeout=timeout):
            await self._settle(settle, asked + timeout)
        return self.workers()

    def _answered(self, instances: set[str], since: float) -> bool:
        """Every one of ``instances`` announced since ``since`` (or is gone)."""
        return all(seen.at >= since for name, seen in self._workers.items() if name in instances)

    async def _settle(self, quiet: float, deadline: float) -> None:
        """Return once no new worker appeared for ``quiet`` seconds, or at ``deadline``."""
        while (remaining := deadline - time.monotonic()) > 0:
            grown = functools.partial(_has_more_than, len(self._workers))
            if not await self.wait_for(grown, min(quiet, remaining)):
                return

    async def _on_announce(self, msg: Msg) -> None:
        try:
            announcement = EngineAnnouncement.model_validate_json(msg.data)
        except ValidationError as error:
            _LOGGER.warning("ignoring a malformed announcement: %s", error.errors()[0]["msg"])
            return
        if announcement.state is EngineState.STOPPING:
            self._workers.pop(announcement.instance, None)
        else:
            self._workers[announcement.instance] = _Seen(announcement, time.monotonic())
        self._changed.set()

    def workers(self) -> list[EngineAnnouncement]:
        """Live workers, expired ones pruned."""
        now = time.monotonic()
        for instance, seen in list(self._workers.items()):
            limit = seen.announcement.heartbeat_seconds * self._expiry_beats
            if now - seen.at > limit:
                _LOGGER.info("engine worker %s stopped announcing; dropping it", instance)
                del self._workers[instance]
        return [seen.announcement for seen in self._workers.values()]

    def engines(self) -> dict[str, list[EngineAnnouncement]]:
        """Live workers grouped by engine name."""
        grouped: dict[str, list[EngineAnnouncement]] = {}
        for worker in self.workers():
            grouped.setdefault(worker.engine, []).append(worker)
        return grouped

    def routes(self) -> list[VoiceRoute]:
        """Every voice of every live, warm engine (one route per engine and voice)."""
        routes: dict[tuple[str, str], VoiceRoute] = {}
        for worker in self.workers():
            if not accepts_requests(worker):
                continue
            for voice in worker.voices:
                routes.setdefault((worker.engine, voice.name), VoiceRoute(worker.engine, voice))
        return sorted(routes.values(), key=lambda route: (route.engine, route.voice.name))

    def workers_of(self, engine: str) -> int:
        return sum(1 for worker in self.workers() if worker.engine == engine)

    async def wait_for(self, predicate: object = None, timeout: float = 5.0) -> bool:
        """Wait until ``predicate(self)`` holds (default: any engine); False on timeout."""
        check = predicate if callable(predicate) else (lambda d: bool(d.workers()))
        deadline = time.monotonic() + timeout
        while not check(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.25))
        return True


def _has_more_than(count: int, discovery: Discovery) -> bool:
    return len(discovery._workers) > count
