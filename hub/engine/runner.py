"""The engine runner: serves any ``Engine`` on the bus.

One runner per worker process. It takes requests from ``<prefix>.ready.<engine>`` once per
free slot and from ``<prefix>.synth.<engine>`` when every worker is busy (distribution.py),
queues them (job_board.py), runs inference in a thread pool so the event loop keeps
answering, streams PCM back in chunks of at most 64 KiB, honours cancels, sends keepalives
while busy, announces itself (announcer.py) and drains in-flight work on shutdown. The reply
stream is published by replies.py; ``RunnerSettings`` lives in settings.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from hub.bus import connect
from hub.contract.errors import VoicebusError
from hub.contract.schemas import ErrorCode, SynthesisRequest
from hub.contract.subjects import Subjects, check_token
from hub.engine.admission import check_admissible, parse_request
from hub.engine.announcer import Announcer, WorkerIdentity, WorkerStats
from hub.engine.base import Engine, find_voice
from hub.engine.distribution import Distribution
from hub.engine.inference import pcm_stream
from hub.engine.job_board import JobBoard
from hub.engine.lifecycle import ModelLifecycle
from hub.engine.replies import Job, Replies
from hub.engine.settings import RunnerSettings

__all__ = ["EngineRunner", "RunnerSettings"]

_LOGGER = logging.getLogger(__name__)


class EngineRunner:
    """Serve ``engine`` on the bus until ``stop()``."""

    def __init__(self, engine: Engine, settings: RunnerSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.subjects = Subjects(settings.subject_prefix)
        self.name = check_token(settings.engine_name or engine.name, "engine name")
        """The name served on the bus: the engine's own, or ``engine_name`` to run a second
        pool of the same backend under another name (e.g. a GPU pool and a CPU pool)."""
        self.instance = f"{self.name}-{uuid.uuid4().hex[:8]}"
        self.nc: Client | None = None
        self.stats = WorkerStats()
        self.board = JobBoard(settings.concurrency, self.stats)
        self._jobs = self.board.jobs
        self._subs: list[Subscription] = []
        self._synth_sub: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._executor = ThreadPoolExecutor(
            max_workers=settings.concurrency, thread_name_prefix=f"{engine.name}-infer"
        )
        self.lifecycle = ModelLifecycle(
            engine,
            self._executor,
            self._announce,
            load_on_demand=settings.load_on_demand,
            keep_warm=settings.keep_warm,
            idle_unload_seconds=settings.idle_unload_seconds,
        )
        self.replies = Replies(self.name, self.instance, settings.chunk_bytes)
        self.announcer = Announcer(
            engine,
            WorkerIdentity(self.name, self.instance, self.subjects),
            settings,
            lifecycle=self.lifecycle,
            stats=self.stats,
            queued=self.board.queued,
            replies=self.replies,
        )
        self.distribution = Distribution(
            self.subjects,
            self.name,
            self.instance,
            free_slots=self._free_slots,
            waiting=self.board.waiting,
            on_ready=functools.partial(self._take, from_ready=True),
            on_idle_peer=self._hand_back_to_idle_peer,
        )

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self.nc = await connect(self.settings, f"voicebus-engine-{self.instance}")
        nc = self.nc
        self.replies.nc = self.announcer.nc = self.distribution.nc = nc
        self._synth_sub = await nc.subscribe(
            self.subjects.synth(self.name),
            queue=self.name,
            cb=functools.partial(self._take, from_ready=False),
        )
        for subject, cb in (
            (self.subjects.cancel_all, self._on_cancel),
            (self.subjects.discover, self.announcer.on_discover),
            (self.subjects.control(self.name), self.announcer.on_control),
        ):
            self._subs.append(await nc.subscribe(subject, cb=cb))
        for slot in range(self.settings.concurrency):
            self._spawn(self._slot_loop(), f"slot-{slot}")
        self._spawn(self.announcer.heartbeat_loop(), "heartbeat")
        idle = self.distribution.announce_idle  # again and again, in case one went unheard
        keepalives = self.replies.keepalive_loop(
            self._jobs.values, self.settings.keepalive_seconds, idle
        )
        self._spawn(keepalives, "keepalive")
        self._spawn(self.lifecycle.idle_loop(), "idle-unload")
        await self.distribution.refresh()
        await nc.flush()
        await self._announce()
        _LOGGER.info(
            "engine %s serving %d voice(s) on %s as %s",
            self.name,
            len(self.engine.voices()),
            self.subjects.synth(self.name),
            self.instance,
        )

    async def stop(self) -> None:
        """Stop taking work, finish what is queued and in flight (bounded), then disconnect."""
        if self.nc is None:
            return
        self.stats.stopping = True
        if not self.nc.is_connected:  # no bus (its server died with our supervisor): just go
            await self._leave_without_bus()
            return
        await self.distribution.close()
        if self._synth_sub is not None:
            await self._synth_sub.unsubscribe()
            self._synth_sub = None
        await self._announce()
        deadline = time.monotonic() + self.settings.drain_seconds
        while (self._jobs or self.stats.in_flight) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for job in list(self._jobs.values()):
            await self._send_error(job, ErrorCode.ENGINE_UNAVAILABLE, "engine is shutting down")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.nc.drain()
        self._disconnected("")

    async def _leave_without_bus(self) -> None:
        assert self.nc is not None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.nc.close(), 2)
        self._disconnected(" (the bus was unreachable)")

    def _disconnected(self, why: str) -> None:
        self.nc = self.replies.nc = self.announcer.nc = self.distribution.nc = None
        self._executor.shutdown(wait=False, cancel_futures=True)
        _LOGGER.info("engine %s stopped%s", self.instance, why)

    async def run_until(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    async def _announce(self) -> None:
        await self.announcer.announce()
        await self.distribution.refresh()  # a model state change may free or take slots

    def _spawn(self, coro: object, name: str) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        task.set_name(f"{self.instance}-{name}")
        self._tasks.append(task)

    # ---- requests --------------------------------------------------------------------

    async def _take(self, msg: Msg, *, from_ready: bool) -> None:
        if not msg.reply:
            _LOGGER.warning("synthesis request without a reply subject ignored")
            return
        try:
            request = parse_request(msg.data)
        except VoicebusError as error:
            await self.replies.error(msg.reply, "", error.code, error.message)
            return
        full = from_ready and self._free_slots() <= 0
        if request.retry_on_busy and (self.stats.stopping or full):
            await self.replies.busy(msg.reply, request.request_id, "full")
            return
        try:
            job = self._admit(request, msg.reply)
        except VoicebusError as error:
            await self.replies.error(
                msg.reply, request.request_id, error.code, error.message, error.suggestion
            )
            return
        self.board.add(job)
        await self.replies.start(job)
        await self.distribution.refresh()

    def _admit(self, request: SynthesisRequest, reply: str) -> Job:
        stopping, queued = self.stats.stopping, self.board.queued()
        check_admissible(request, self.settings, self.lifecycle, self.name, stopping, queued)
        return Job(request=request, reply=reply, voice=find_voice(self.engine, request.voice))

    def _free_slots(self) -> int:
        """Slots free for a new request now (none while stopping or paused)."""
        if self.stats.stopping or not self.lifecycle.accepts_requests():
            return 0
        return self.board.free_slots()

    async def _hand_back_to_idle_peer(self) -> None:
        """A peer has a free slot: its client re-sends our most urgent waiting request."""
        job = self.board.take_for_peer()
        if job is not None:
            await self._hand_back(job, "idle_peer")

    async def _hand_back(self, job: Job, reason: str) -> None:
        if self.board.pop(job.request.request_id) is not None:
            await self.replies.busy(job.reply, job.request.request_id, reason)

    async def _on_cancel(self, msg: Msg) -> None:
        self.board.cancel(msg.subject.rsplit(".", 1)[-1], msg.data)

    # ---- inference -------------------------------------------------------------------

    async def _slot_loop(self) -> None:
        while True:
            job = await self.board.next()
            self.stats.in_flight += 1
            try:
                await self._run(job)
            except Exception as error:  # e.g. replies not sendable while NATS was away:
                _LOGGER.warning("%s ended early: %s", job.request.request_id, error)  # slot lives
            finally:
                with contextlib.suppress(Exception):
                    await self._release(job)
                    await self.distribution.announce_idle()

    async def _release(self, job: Job) -> None:
        """Free the job's slot (once) and take new work for it: before the job's last
        message goes out, so its client's next request finds this worker on ``ready``."""
        if not job.released:
            job.released = True
            self.stats.in_flight -= 1
            await self.distribution.refresh()

    async def _run(self, job: Job) -> None:
        if job.cancelled.is_set():
            await self._send_error(job, ErrorCode.CANCELLED, "cancelled before it started")
        elif job.request.expired():
            await self._send_error(job, ErrorCode.TIMEOUT, "deadline passed while queued")
        else:
            try:
                async with self.lifecycle.in_use():
                    await self._serve(job)
            except VoicebusError as error:
                await self._send_error(job, error.code, error.message, error.suggestion)
            except Exception:
                _LOGGER.exception("serving %s failed", job.request.request_id)
                await self._send_error(job, ErrorCode.INTERNAL, "engine failed unexpectedly")

    async def _serve(self, job: Job) -> None:
        job.started = True
        began = time.perf_counter()
        pcm = pcm_stream(self.engine, job.request, self._executor, job.cancelled)
        try:
            chunks, total = await self.replies.stream(job, pcm)
        finally:
            await pcm.aclose()
        if job.cancelled.is_set():
            await self._send_error(job, ErrorCode.CANCELLED, "cancelled while synthesising")
            return
        await self._release(job)
        await self.replies.end(job, chunks, total, time.perf_counter() - began)
        self._jobs.pop(job.request.request_id, None)
        self.stats.served += 1

    async def _send_error(
        self, job: Job, code: ErrorCode, message: str, suggestion: str | None = None
    ) -> None:
        """End a job with an error, once (a job already ended is left alone)."""
        if self._jobs.pop(job.request.request_id, None) is None:
            return
        if code is ErrorCode.CANCELLED:
            self.stats.cancelled += 1
        else:
            self.stats.failed += 1
        await self.replies.error(job.reply, job.request.request_id, code, message, suggestion)
