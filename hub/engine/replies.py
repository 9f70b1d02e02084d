"""The reply stream of one synthesis request, as docs/bus.md spells it.

``start``, then ``chunk`` x N (raw PCM with a sequence-number header, at most ``chunk_bytes``
each), then ``end`` or ``error``; ``keepalive`` while the request waits or works; or ``busy``
(before any audio) when the worker hands the request back to be sent again. The message
kind travels in a header, so a receiver never guesses. A :class:`Job` is one admitted request
and its per-stream state; :class:`Replies` publishes everything a worker sends back.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field

from nats.aio.client import Client

from hub.contract.schemas import (
    KIND_HEADER,
    REQUEST_ID_HEADER,
    SEQ_HEADER,
    VERSION_HEADER,
    ErrorCode,
    HandBack,
    Keepalive,
    MessageKind,
    StreamEnd,
    StreamError,
    StreamStart,
    SynthesisRequest,
    VoiceInfo,
)


@dataclass
class Job:
    """One admitted request: where its replies go, and whether it is cancelled or started."""

    request: SynthesisRequest
    reply: str
    voice: VoiceInfo
    cancelled: threading.Event = field(default_factory=threading.Event)
    started: bool = False
    released: bool = False
    """Its inference slot is free again (set just before ``end`` goes out)."""
    last_sent: float = field(default_factory=time.monotonic)


class Replies:
    """Publishes reply streams on a worker's connection (``nc``: set while connected)."""

    def __init__(self, engine: str, instance: str, chunk_bytes: int) -> None:
        self.nc: Client | None = None
        self._engine = engine
        self._instance = instance
        self._chunk_bytes = chunk_bytes

    async def start(self, job: Job) -> None:
        start = StreamStart(
            request_id=job.request.request_id,
            engine=self._engine,
            instance=self._instance,
            voice=job.voice.name,
            sample_rate=job.voice.sample_rate,
        )
        await self._publish(job, MessageKind.START, start.model_dump_json().encode())

    async def stream(self, job: Job, pcm: AsyncIterator[bytes]) -> tuple[int, int]:
        """Send ``pcm`` as numbered chunks; returns (chunks sent, bytes sent)."""
        seq = total = 0
        async for data in pcm:
            for piece in _pieces(data, self._chunk_bytes):
                await self._publish(job, MessageKind.CHUNK, piece, seq=seq)
                seq += 1
                total += len(piece)
        return seq, total

    async def end(self, job: Job, chunks: int, total_bytes: int, seconds: float) -> None:
        audio_seconds = total_bytes / (2 * job.voice.sample_rate)
        end = StreamEnd(
            request_id=job.request.request_id,
            chunks=chunks,
            audio_seconds=audio_seconds,
            synthesis_seconds=seconds,
            real_time_factor=seconds / audio_seconds if audio_seconds else 0.0,
        )
        await self._publish(job, MessageKind.END, end.model_dump_json().encode())

    async def keepalive_loop(
        self,
        jobs: Callable[[], Iterable[Job]],
        interval: float,
        tick: Callable[[], Awaitable[None]],
    ) -> None:
        """Forever: a keepalive to each job silent for ``interval``, then ``tick()``."""
        while True:
            await asyncio.sleep(interval / 2)
            now = time.monotonic()
            for job in list(jobs()):
                if now - job.last_sent >= interval:
                    await self.keepalive(job)
            await tick()

    async def keepalive(self, job: Job) -> None:
        ping = Keepalive(request_id=job.request.request_id, queued=not job.started)
        await self._publish(job, MessageKind.KEEPALIVE, ping.model_dump_json().encode())

    async def busy(self, reply: str, request_id: str, reason: str) -> None:
        """Hand a request back unstarted: its client re-sends it at once (docs/bus.md)."""
        if self.nc is None:
            return
        body = HandBack(request_id=request_id, reason=reason).model_dump_json().encode()
        headers = {KIND_HEADER: MessageKind.BUSY.value, REQUEST_ID_HEADER: request_id}
        await self.nc.publish(reply, body, headers=headers)

    async def error(
        self,
        reply: str,
        request_id: str,
        code: ErrorCode,
        message: str,
        suggestion: str | None = None,
    ) -> None:
        """An ``error`` reply (to a job or a control command); nothing once disconnected."""
        if self.nc is None:
            return
        error = StreamError(
            request_id=request_id, code=code, message=message, suggestion=suggestion
        )
        headers = {KIND_HEADER: MessageKind.ERROR.value, REQUEST_ID_HEADER: request_id}
        await self.nc.publish(reply, error.model_dump_json().encode(), headers=headers)

    async def _publish(
        self, job: Job, kind: MessageKind, data: bytes, seq: int | None = None
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


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]
