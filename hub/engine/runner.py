"""The engine runner: serves any ``Engine`` on the bus.

One runner per worker process. It subscribes to ``<prefix>.synth.<engine>`` in queue group
``<engine>`` (replicas share the load), validates each request, queues it by priority (the
position of the sentence in its text, so first sentences of every client go first), runs
inference in a thread pool so the event loop keeps answering, streams PCM back in chunks of
at most 64 KiB, honours ``<prefix>.cancel.<request_id>``, sends keepalives while busy,
announces itself for discovery, and drains in-flight work on shutdown.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import Field, ValidationError

from hub.bus import connect
from hub.contract import errors
from hub.contract.errors import VoicebusError
from hub.contract.schemas import (
    KIND_HEADER,
    MAX_CHUNK_BYTES,
    REQUEST_ID_HEADER,
    SEQ_HEADER,
    VERSION_HEADER,
    CancelRequest,
    ControlAction,
    ControlCommand,
    EngineAnnouncement,
    EngineState,
    ErrorCode,
    Keepalive,
    MessageKind,
    StreamEnd,
    StreamError,
    StreamStart,
    SynthesisRequest,
    VoiceInfo,
)
from hub.contract.subjects import Subjects, check_token
from hub.engine.base import Engine, find_voice
from hub.engine.inference import pcm_stream
from hub.engine.lifecycle import ModelLifecycle
from hub.settings import NatsOptions, VoicebusSettings

_LOGGER = logging.getLogger(__name__)


class RunnerSettings(VoicebusSettings, NatsOptions):
    """Settings every engine worker has; engine settings classes extend this."""

    engine_name: str | None = Field(
        default=None, description="Serve under this name instead of the engine's own."
    )
    concurrency: int = Field(default=1, ge=1, description="Inference slots in this worker.")
    max_queue: int = Field(default=64, ge=1, description="Queued requests before overload.")
    max_request_chars: int = Field(
        default=5000,
        ge=1,
        description="Characters of one request (a sentence); the client's max_text_chars "
        "limits a whole text.",
    )
    heartbeat_seconds: float = Field(default=2.0, gt=0)
    keepalive_seconds: float = Field(default=1.0, gt=0)
    drain_seconds: float = Field(default=30.0, ge=0)
    chunk_bytes: int = Field(default=32 * 1024, ge=1024, le=MAX_CHUNK_BYTES)
    load_on_demand: bool = Field(default=True, description="Load an unloaded model on request.")
    keep_warm: bool = Field(default=False, description="Never unload when idle.")
    idle_unload_seconds: float = Field(
        default=0.0, ge=0, description="Unload the model after this long idle; 0 = never."
    )


@dataclass
class _Job:
    request: SynthesisRequest
    reply: str
    voice: VoiceInfo
    cancelled: threading.Event = field(default_factory=threading.Event)
    started: bool = False
    last_sent: float = field(default_factory=time.monotonic)


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
        self._queue: asyncio.PriorityQueue[tuple[int, int, _Job]] = asyncio.PriorityQueue()
        self._arrivals = itertools.count()
        self._jobs: dict[str, _Job] = {}
        self._in_flight = 0
        self._counts = {"served": 0, "failed": 0, "cancelled": 0}
        self._stopping = False
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

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self.nc = await connect(self.settings, f"voicebus-engine-{self.instance}")
        nc = self.nc
        self._synth_sub = await nc.subscribe(
            self.subjects.synth(self.name), queue=self.name, cb=self._on_request
        )
        self._subs.append(await nc.subscribe(self.subjects.cancel_all, cb=self._on_cancel))
        self._subs.append(await nc.subscribe(self.subjects.discover, cb=self._on_discover))
        control = self.subjects.control(self.name)
        self._subs.append(await nc.subscribe(control, cb=self._on_control))
        for slot in range(self.settings.concurrency):
            self._spawn(self._slot_loop(), f"slot-{slot}")
        self._spawn(self._heartbeat_loop(), "heartbeat")
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
        self._stopping = True
        if self._synth_sub is not None:
            await self._synth_sub.unsubscribe()
            self._synth_sub = None
        await self._announce()
        deadline = time.monotonic() + self.settings.drain_seconds
        while (self._jobs or self._in_flight) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for job in list(self._jobs.values()):
            await self._send_error(job, ErrorCode.ENGINE_UNAVAILABLE, "engine is shutting down")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.nc.drain()
        self.nc = None
        self._executor.shutdown(wait=False, cancel_futures=True)
        _LOGGER.info("engine %s stopped", self.instance)

    async def run_until(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    def _spawn(self, coro: object, name: str) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        task.set_name(f"{self.instance}-{name}")
        self._tasks.append(task)

    # ---- discovery -------------------------------------------------------------------

    def announcement(self) -> EngineAnnouncement:
        return EngineAnnouncement(
            engine=self.name,
            instance=self.instance,
            engine_version=self.engine.version,
            voices=self.engine.voices(),
            capabilities=self.engine.capabilities,
            device=self.engine.device,
            model=str(getattr(self.engine, "model_id", "")),
            memory_bytes=self._memory_bytes(),
            state=EngineState.STOPPING if self._stopping else self.lifecycle.state,
            keep_warm=self.lifecycle.keep_warm,
            loads_on_demand=self.lifecycle.load_on_demand,
            idle_unload_seconds=self.lifecycle.idle_unload_seconds,
            in_flight=self._in_flight,
            queued=self._queue.qsize(),
            max_queue=self.settings.max_queue,
            **self._counts,
            heartbeat_seconds=self.settings.heartbeat_seconds,
            host=socket.gethostname(),
            pid=os.getpid(),
        )

    def _memory_bytes(self) -> int:
        measure = getattr(self.engine, "memory_bytes", None)
        if not callable(measure):
            return 0
        try:
            return int(measure())
        except Exception:  # a measurement must never break announcing
            return 0

    async def _announce(self) -> None:
        if self.nc is not None and self.nc.is_connected:
            payload = self.announcement().model_dump_json().encode()
            await self.nc.publish(self.subjects.announce, payload)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await self._announce()
            except Exception as error:  # a reconnect in progress: try again next beat
                _LOGGER.debug("announcement failed: %s", error)

    async def _on_discover(self, msg: Msg) -> None:
        await self._announce()

    async def _on_control(self, msg: Msg) -> None:
        """load / unload / keep_warm / status; every worker replies with its announcement."""
        try:
            command = ControlCommand.model_validate_json(msg.data)
            _LOGGER.info("control: %s", command.action)
            if command.action is ControlAction.LOAD:
                await self.lifecycle.load()
            elif command.action is ControlAction.UNLOAD:
                await self.lifecycle.unload()
            elif command.action is ControlAction.KEEP_WARM:
                self.lifecycle.keep_warm = bool(command.keep_warm)
        except (ValidationError, VoicebusError) as error:
            code = getattr(error, "code", ErrorCode.INVALID_REQUEST)
            if msg.reply:
                await self._reply_error(msg.reply, "", code, str(error))
            return
        except Exception as error:
            _LOGGER.exception("control command failed")
            if msg.reply:
                await self._reply_error(msg.reply, "", ErrorCode.INTERNAL, str(error))
            return
        await self._announce()
        if msg.reply and self.nc is not None:
            await self.nc.publish(msg.reply, self.announcement().model_dump_json().encode())

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
            await self._reply_error(msg.reply, "", ErrorCode.INVALID_REQUEST, detail)
            return
        try:
            job = self._admit(request, msg.reply)
        except VoicebusError as error:
            await self._reply_error(
                msg.reply, request.request_id, error.code, error.message, error.suggestion
            )
            return
        self._jobs[request.request_id] = job
        start = StreamStart(
            request_id=request.request_id,
            engine=self.name,
            instance=self.instance,
            voice=job.voice.name,
            sample_rate=job.voice.sample_rate,
        )
        await self._publish(job, MessageKind.START, start.model_dump_json().encode())
        self._queue.put_nowait((request.priority, next(self._arrivals), job))

    def _admit(self, request: SynthesisRequest, reply: str) -> _Job:
        if self._stopping:
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
        return _Job(request=request, reply=reply, voice=voice)

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
            self._in_flight += 1
            try:
                async with self.lifecycle.in_use():
                    await self._serve(job)
            except VoicebusError as error:
                await self._send_error(job, error.code, error.message, error.suggestion)
            except Exception:
                _LOGGER.exception("serving %s failed", job.request.request_id)
                await self._send_error(job, ErrorCode.INTERNAL, "engine failed unexpectedly")
            finally:
                self._in_flight -= 1

    async def _serve(self, job: _Job) -> None:
        job.started = True
        began = time.perf_counter()
        seq = total = 0
        pcm = pcm_stream(self.engine, job.request, self._executor, job.cancelled)
        try:
            async for chunk in pcm:
                for piece in _pieces(chunk, self.settings.chunk_bytes):
                    await self._publish(job, MessageKind.CHUNK, piece, seq=seq)
                    seq += 1
                    total += len(piece)
        finally:
            await pcm.aclose()
        if job.cancelled.is_set():
            await self._send_error(job, ErrorCode.CANCELLED, "cancelled while synthesising")
            return
        await self._finish(job, seq, total, time.perf_counter() - began)

    async def _finish(self, job: _Job, chunks: int, total_bytes: int, seconds: float) -> None:
        audio_seconds = total_bytes / (2 * job.voice.sample_rate)
        end = StreamEnd(
            request_id=job.request.request_id,
            chunks=chunks,
            audio_seconds=audio_seconds,
            synthesis_seconds=seconds,
            real_time_factor=seconds / audio_seconds if audio_seconds else 0.0,
        )
        await self._publish(job, MessageKind.END, end.model_dump_json().encode())
        self._jobs.pop(job.request.request_id, None)
        self._counts["served"] += 1

    # ---- publishing ------------------------------------------------------------------

    async def _keepalive_loop(self) -> None:
        interval = self.settings.keepalive_seconds
        while True:
            await asyncio.sleep(interval / 2)
            now = time.monotonic()
            for job in list(self._jobs.values()):
                if now - job.last_sent >= interval:
                    ping = Keepalive(request_id=job.request.request_id, queued=not job.started)
                    await self._publish(job, MessageKind.KEEPALIVE, ping.model_dump_json().encode())

    async def _publish(
        self, job: _Job, kind: MessageKind, data: bytes, seq: int | None = None
    ) -> None:
        headers = {
            KIND_HEADER: kind.value,
            REQUEST_ID_HEADER: job.request.request_id,
            VERSION_HEADER: job.request.version,
        }
        if seq is not None:
            headers[SEQ_HEADER] = str(seq)
        job.last_sent = time.monotonic()
        assert self.nc is not None
        await self.nc.publish(job.reply, data, headers=headers)

    async def _send_error(
        self, job: _Job, code: ErrorCode, message: str, suggestion: str | None = None
    ) -> None:
        if self._jobs.pop(job.request.request_id, None) is None:
            return
        self._counts["cancelled" if code is ErrorCode.CANCELLED else "failed"] += 1
        await self._reply_error(job.reply, job.request.request_id, code, message, suggestion)

    async def _reply_error(
        self,
        reply: str,
        request_id: str,
        code: ErrorCode,
        message: str,
        suggestion: str | None = None,
    ) -> None:
        if self.nc is None:
            return
        error = StreamError(
            request_id=request_id, code=code, message=message, suggestion=suggestion
        )
        headers = {KIND_HEADER: MessageKind.ERROR.value, REQUEST_ID_HEADER: request_id}
        await self.nc.publish(reply, error.model_dump_json().encode(), headers=headers)


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]
