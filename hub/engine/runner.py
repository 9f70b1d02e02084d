"""The engine runner: serves any ``Engine`` on the bus.

One runner per worker process. It subscribes to ``<prefix>.synth.<engine>`` in queue group
``<engine>`` (replicas share the load), validates each request, queues it by priority (the
position of the sentence in its text, so first sentences of every client go first), runs
inference in a thread pool so the event loop keeps answering, streams PCM back in chunks of
at most 64 KiB, honours ``<prefix>.cancel.<request_id>``, sends keepalives while busy,
announces itself for discovery, and drains in-flight work on shutdown.

The reply stream is published by ``hub/engine/replies.py``; announcements and control commands
are answered by ``hub/engine/announcer.py``; ``RunnerSettings`` lives in
``hub/engine/settings.py`` (and is importable from here).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from hub.bus import connect
from hub.contract import errors
from hub.contract.errors import VoicebusError
from hub.contract.schemas import CancelRequest, EngineAnnouncement, ErrorCode, SynthesisRequest
from hub.contract.subjects import Subjects, check_token
from hub.engine.announcer import Announcer, WorkerIdentity, WorkerStats
from hub.engine.base import Engine, find_voice
from hub.engine.inference import pcm_stream
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
        self._queue: asyncio.PriorityQueue[tuple[int, int, Job]] = asyncio.PriorityQueue()
        self._arrivals = itertools.count()
        self._jobs: dict[str, Job] = {}
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
            queued=self._queue.qsize,
            replies=self.replies,
        )

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self.nc = await connect(self.settings, f"voicebus-engine-{self.instance}")
        nc = self.nc
        self.replies.nc = self.announcer.nc = nc
        self._synth_sub = await nc.subscribe(
            self.subjects.synth(self.name), queue=self.name, cb=self._on_request
        )
        self._subs.append(await nc.subscribe(self.subjects.cancel_all, cb=self._on_cancel))
        discover = self.announcer.on_discover
        self._subs.append(await nc.subscribe(self.subjects.discover, cb=discover))
        control = self.subjects.control(self.name)
        self._subs.append(await nc.subscribe(control, cb=self.announcer.on_control))
        for slot in range(self.settings.concurrency):
            self._spawn(self._slot_loop(), f"slot-{slot}")
        self._spawn(self.announcer.heartbeat_loop(), "heartbeat")
        self._spawn(self._keepalive_loop(), "keepalive")
        self._spawn(self.lifecycle.idle_loop(), "idle-unload")
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
        self.nc = self.replies.nc = self.announcer.nc = None
        self._executor.shutdown(wait=False, cancel_futures=True)
        _LOGGER.info("engine %s stopped", self.instance)

    async def _leave_without_bus(self) -> None:
        assert self.nc is not None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.nc.close(), 2)
        self.nc = self.replies.nc = self.announcer.nc = None
        self._executor.shutdown(wait=False, cancel_futures=True)
        _LOGGER.info("engine %s stopped (the bus was unreachable)", self.instance)

    async def run_until(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    def announcement(self) -> EngineAnnouncement:
        """What this worker tells discovery right now."""
        return self.announcer.announcement()

    async def _announce(self) -> None:
        await self.announcer.announce()

    def _spawn(self, coro: object, name: str) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        task.set_name(f"{self.instance}-{name}")
        self._tasks.append(task)

    # ---- requests --------------------------------------------------------------------

    async def _on_request(self, msg: Msg) -> None:
        if not msg.reply:
            _LOGGER.warning("synthesis request without a reply subject ignored")
            return
        try:
            request = SynthesisRequest.model_validate_json(msg.data)
        except ValidationError as error:
            detail = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
            )
            await self.replies.error(msg.reply, "", ErrorCode.INVALID_REQUEST, detail)
            return
        try:
            job = self._admit(request, msg.reply)
        except VoicebusError as error:
            await self.replies.error(
                msg.reply, request.request_id, error.code, error.message, error.suggestion
            )
            return
        self._jobs[request.request_id] = job
        await self.replies.start(job)
        self._queue.put_nowait((request.priority, next(self._arrivals), job))

    def _admit(self, request: SynthesisRequest, reply: str) -> Job:
        if self.stats.stopping:
            raise errors.EngineUnavailableError(f"engine {self.name} is shutting down")
        if not self.lifecycle.accepts_requests():
            raise errors.EngineUnavailableError(
                f"engine {self.name} is {self.lifecycle.state}",
                f"load it with 'voicebus engines load {self.name}'",
            )
        if not any(ch.isalnum() for ch in request.text):
            raise errors.InvalidRequestError("text is empty", "send text with words in it")
        limit = self.settings.max_request_chars
        if len(request.text) > limit:
            raise errors.TextTooLongError(
                f"text has {len(request.text)} characters; one request takes at most {limit}",
                "split long text into sentences (the hub client does this for you)",
            )
        if request.expired():
            raise errors.SynthesisTimeoutError("request arrived after its deadline")
        if self._queue.qsize() >= self.settings.max_queue:
            raise errors.EngineOverloadedError(
                f"engine {self.name} has {self._queue.qsize()} requests queued",
                "retry later or add workers",
            )
        voice = find_voice(self.engine, request.voice)
        return Job(request=request, reply=reply, voice=voice)

    async def _on_cancel(self, msg: Msg) -> None:
        request_id = msg.subject.rsplit(".", 1)[-1]
        job = self._jobs.get(request_id)
        if job is None:
            return
        try:
            reason = CancelRequest.model_validate_json(msg.data).reason
        except ValidationError:
            reason = "client"
        _LOGGER.debug("cancelling %s (%s)", request_id, reason)
        job.cancelled.set()

    # ---- inference -------------------------------------------------------------------

    async def _slot_loop(self) -> None:
        while True:
            _, _, job = await self._queue.get()
            if job.cancelled.is_set():
                await self._send_error(job, ErrorCode.CANCELLED, "cancelled before it started")
                continue
            if job.request.expired():
                await self._send_error(job, ErrorCode.TIMEOUT, "deadline passed while queued")
                continue
            self.stats.in_flight += 1
            try:
                async with self.lifecycle.in_use():
                    await self._serve(job)
            except VoicebusError as error:
                await self._send_error(job, error.code, error.message, error.suggestion)
            except Exception:
                _LOGGER.exception("serving %s failed", job.request.request_id)
                await self._send_error(job, ErrorCode.INTERNAL, "engine failed unexpectedly")
            finally:
                self.stats.in_flight -= 1

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
        await self.replies.end(job, chunks, total, time.perf_counter() - began)
        self._jobs.pop(job.request.request_id, None)
        self.stats.served += 1

    async def _keepalive_loop(self) -> None:
        interval = self.settings.keepalive_seconds
        while True:
            await asyncio.sleep(interval / 2)
            now = time.monotonic()
            for job in list(self._jobs.values()):
                if now - job.last_sent >= interval:
                    await self.replies.keepalive(job)

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
