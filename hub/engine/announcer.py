"""What a worker tells the bus about itself: discovery announcements and control answers.

A worker announces on ``<prefix>.discovery.announce`` when it starts, every
``heartbeat_seconds``, when pinged on ``<prefix>.discovery.ping``, on every model state change
and when it stops. Control commands on ``<prefix>.control.<engine>`` (load / unload /
keep_warm / status) are answered by every worker with its announcement, or with an error.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg
from pydantic import ValidationError

from hub.contract.errors import VoicebusError
from hub.contract.schemas import (
    ControlAction,
    ControlCommand,
    EngineAnnouncement,
    EngineState,
    ErrorCode,
)
from hub.contract.subjects import Subjects
from hub.engine.base import Engine
from hub.engine.lifecycle import ModelLifecycle
from hub.engine.replies import Replies
from hub.engine.settings import RunnerSettings

_LOGGER = logging.getLogger(__name__)


@dataclass
class WorkerStats:
    """The runner's counters, as every announcement reports them."""

    in_flight: int = 0
    served: int = 0
    failed: int = 0
    cancelled: int = 0
    stopping: bool = False


@dataclass(frozen=True)
class WorkerIdentity:
    """Who a worker is on the bus: the engine name it serves and its instance id."""

    name: str
    instance: str
    subjects: Subjects


class Announcer:
    """Publishes a worker's announcement and answers discovery pings and control commands."""

    def __init__(
        self,
        engine: Engine,
        identity: WorkerIdentity,
        settings: RunnerSettings,
        *,
        lifecycle: ModelLifecycle,
        stats: WorkerStats,
        queued: Callable[[], int],
        replies: Replies,
    ) -> None:
        self.nc: Client | None = None
        """The worker's connection, set while connected."""
        self._engine = engine
        self._id = identity
        self._settings = settings
        self._lifecycle = lifecycle
        self._stats = stats
        self._queued = queued
        self._replies = replies

    def announcement(self) -> EngineAnnouncement:
        stats, lifecycle = self._stats, self._lifecycle
        return EngineAnnouncement(
            engine=self._id.name,
            instance=self._id.instance,
            engine_version=self._engine.version,
            voices=self._engine.voices(),
            # every worker honours speed: one without its own is time-stretched by the runner
            capabilities=self._engine.capabilities.model_copy(update={"speed": True}),
            device=self._engine.device,
            model=str(getattr(self._engine, "model_id", "")),
            revision=str(getattr(self._engine, "revision", "")),
            memory_bytes=self._memory_bytes(),
            state=EngineState.STOPPING if stats.stopping else lifecycle.state,
            keep_warm=lifecycle.keep_warm,
            loads_on_demand=lifecycle.load_on_demand,
            idle_unload_seconds=lifecycle.idle_unload_seconds,
            in_flight=stats.in_flight,
            queued=self._queued(),
            max_queue=self._settings.max_queue,
            served=stats.served,
            failed=stats.failed,
            cancelled=stats.cancelled,
            heartbeat_seconds=self._settings.heartbeat_seconds,
            host=socket.gethostname(),
            pid=os.getpid(),
        )

    async def announce(self) -> None:
        """Publish the announcement now (nothing while disconnected)."""
        if self.nc is not None and self.nc.is_connected:
            payload = self.announcement().model_dump_json().encode()
            await self.nc.publish(self._id.subjects.announce, payload)

    async def heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.heartbeat_seconds)
            try:
                await self.announce()
            except Exception as error:  # a reconnect in progress: try again next beat
                _LOGGER.debug("announcement failed: %s", error)

    async def on_discover(self, msg: Msg) -> None:
        await self.announce()

    async def on_control(self, msg: Msg) -> None:
        """load / unload / keep_warm / status; every worker replies with its announcement."""
        try:
            await self._apply(ControlCommand.model_validate_json(msg.data))
        except (ValidationError, VoicebusError) as error:
            code = getattr(error, "code", ErrorCode.INVALID_REQUEST)
            if msg.reply:
                await self._replies.error(msg.reply, "", code, str(error))
            return
        except Exception as error:
            _LOGGER.exception("control command failed")
            if msg.reply:
                await self._replies.error(msg.reply, "", ErrorCode.INTERNAL, str(error))
            return
        await self.announce()
        if msg.reply and self.nc is not None:
            await self.nc.publish(msg.reply, self.announcement().model_dump_json().encode())

    async def _apply(self, command: ControlCommand) -> None:
        _LOGGER.info("control: %s", command.action)
        if command.action is ControlAction.LOAD:
            await self._lifecycle.load()
        elif command.action is ControlAction.UNLOAD:
            await self._lifecycle.unload()
        elif command.action is ControlAction.KEEP_WARM:
            self._lifecycle.keep_warm = bool(command.keep_warm)

    def _memory_bytes(self) -> int:
        measure = getattr(self._engine, "memory_bytes", None)
        if not callable(measure):
            return 0
        try:
            return int(measure())
        except Exception:  # a measurement must never break announcing
            return 0
