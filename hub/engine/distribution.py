"""Pull-based work distribution on plain NATS: work goes to a worker with a free slot.

A worker subscribes to ``<prefix>.ready.<engine>`` (queue group ``<engine>``) once for each
free inference slot, and each subscription takes one message only: the server itself
removes it after one delivery (``UNSUB <sid> 1`` sent with the ``SUB``), so no message can
be on its way to a subscription that is already used up. A client publishes there first;
NATS answers ``503`` at once when no worker anywhere has a free slot, and the client then
publishes on ``<prefix>.synth.<engine>``, where every worker takes requests into its
priority queue (``hub/engine/job_board.py``).

Requests waiting in a queue can still move to a worker that becomes free: a worker whose
slot frees with nothing queued publishes an ``IdleNotice`` on ``<prefix>.idle.<engine>``;
workers with requests waiting subscribe there (queue group ``<engine>``, one message per
subscription), and the one that hears it hands its most urgent waiting request back with a
``busy`` reply. The client re-sends it to ``ready`` at once, where the idle worker takes it.

Subscriptions are never dropped while a message may be on its way to them (``nats-py``
discards what is pending on unsubscribe): a ``ready`` message that finds no free slot (the
slot was taken from the ``synth`` subject meanwhile) is handed back too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from hub.contract.schemas import IdleNotice
from hub.contract.subjects import Subjects

Handler = Callable[[Msg], Awaitable[None]]


class Distribution:
    """Keeps a worker's ``ready`` and ``idle`` subscriptions in step with its free slots.

    ``free_slots()`` is slots minus jobs running or queued; ``waiting()`` is jobs queued
    beyond the slots that will take them. Call ``refresh()`` after every change of either.
    """

    def __init__(
        self,
        subjects: Subjects,
        engine: str,
        instance: str,
        *,
        free_slots: Callable[[], int],
        waiting: Callable[[], int],
        on_ready: Handler,
        on_idle_peer: Callable[[], Awaitable[None]],
    ) -> None:
        self.nc: Client | None = None
        self._subjects = subjects
        self._engine = engine
        self._instance = instance
        self._free_slots = free_slots
        self._waiting = waiting
        self._on_ready = on_ready
        self._on_idle_peer = on_idle_peer
        self._ready: list[Subscription] = []
        self._idle: Subscription | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    async def refresh(self) -> None:
        """One ``ready`` subscription per free slot; an ``idle`` one while requests wait
        (also while stopping: an idle peer can still take what we have not started)."""
        async with self._lock:
            nc = self.nc
            if nc is None or not nc.is_connected:
                return
            while not self._closed and len(self._ready) < self._free_slots():
                sub = await self._subscribe_once(nc, self._ready_subject, self._ready_cb)
                self._ready.append(sub)
            if self._waiting() > 0 and self._idle is None:
                self._idle = await self._subscribe_once(nc, self._idle_subject, self._idle_cb)
            elif self._waiting() == 0 and self._idle is not None:
                idle, self._idle = self._idle, None
                with contextlib.suppress(Exception):
                    await idle.unsubscribe()  # a notice lost here had nothing to take anyway

    async def announce_idle(self) -> None:
        """Say this worker has a free slot and nothing queued (a peer may hand work over)."""
        nc = self.nc
        if nc is None or self._closed or not nc.is_connected:
            return
        if self._free_slots() > 0 and self._waiting() == 0:
            notice = IdleNotice(instance=self._instance).model_dump_json().encode()
            with contextlib.suppress(Exception):
                await nc.publish(self._idle_subject, notice)

    async def close(self) -> None:
        """Stop taking new work from ``ready`` (on shutdown)."""
        async with self._lock:
            self._closed = True
            subs, self._ready = self._ready, []
            for sub in subs:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    @property
    def _ready_subject(self) -> str:
        return self._subjects.ready(self._engine)

    @property
    def _idle_subject(self) -> str:
        return self._subjects.idle(self._engine)

    async def _subscribe_once(self, nc: Client, subject: str, cb: Handler) -> Subscription:
        # SUB and UNSUB-after-1 leave in one write (no await yields in between), so the
        # server never delivers this subscription a second message.
        sub = await nc.subscribe(subject, queue=self._engine, cb=cb)
        await sub.unsubscribe(limit=1)
        return sub

    async def _ready_cb(self, msg: Msg) -> None:
        self._forget(msg.sid)
        await self._on_ready(msg)
        await self.refresh()

    async def _idle_cb(self, msg: Msg) -> None:
        if self._idle is not None and self._idle._id == msg.sid:
            self._idle = None
        if not self._own(msg):  # our own notice (work queued meanwhile): nothing to hand over
            await self._on_idle_peer()
        await self.refresh()

    def _own(self, msg: Msg) -> bool:
        try:
            return IdleNotice.model_validate_json(msg.data).instance == self._instance
        except ValueError:
            return False

    def _forget(self, sid: int) -> None:
        self._ready = [sub for sub in self._ready if sub._id != sid]
