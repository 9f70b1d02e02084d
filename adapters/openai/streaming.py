"""Streamed speech answers: the file's bytes, or server-sent events, as the engine works.

The hub stream yields the answer's format already (the hub client encodes, off the loop);
each chunk is forwarded as soon as it comes. The hub stream is read by its own
task into a short queue, so a client hanging up (which cancels the response task) never
interrupts the hub stream half-way: the reader is cancelled and the stream closed cleanly,
which publishes the cancels that stop the engines' work. A failure after the first byte
ends the body without its final chunk (raw) or with an ``error`` event and no
``speech.audio.done`` (SSE), and is logged and counted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from adapters.openai.delivery import SpeechJob
from adapters.openai.errors import from_voicebus
from hub.contract.errors import InternalError, VoicebusError

_LOGGER = logging.getLogger(__name__)

READ_AHEAD = 8
"""Chunks of the answer (about 0.7 s of audio each) read ahead of a slow client."""


class StreamAborted(Exception):
    """The audio failed after the first byte: end the body without its final chunk."""


class AudioStreamResponse(StreamingResponse):
    """A streaming answer that always runs its cleanup (closing the hub stream, whether or
    not the body was ever iterated) and that can be cut short on purpose, leaving the client
    with an incomplete chunked body."""

    def __init__(
        self,
        content: AsyncIterator[bytes],
        cleanup: Callable[[], Awaitable[None]],
        *,
        media_type: str,
        headers: dict[str, str],
    ) -> None:
        super().__init__(content, media_type=media_type, headers=headers)
        self._cleanup = cleanup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except StreamAborted:
            return  # the server closes the connection: the client sees a truncated body
        finally:
            with anyio.CancelScope(shield=True):
                close = getattr(self.body_iterator, "aclose", None)
                if close is not None:
                    await close()
                await self._cleanup()


class _Pump:
    """Bytes of the answer as the hub stream yields them; None at the end.

    A reader task (a plain asyncio task, outside the response's cancel scope) moves them
    from the hub stream into a short queue.
    """

    def __init__(self, job: SpeechJob) -> None:
        self._job = job
        self._queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(READ_AHEAD)
        self._done = False
        self._reader = asyncio.create_task(self._read(), name="openai-speech-reader")

    async def _read(self) -> None:
        stream = self._job.stream
        try:
            if self._job.first is not None:
                await self._queue.put(self._job.first)
                async for data in stream:
                    await self._queue.put(data)
            await self._queue.put(None)
        except VoicebusError as error:
            await self._queue.put(error)
        except Exception as error:  # a bug: say so on the stream (the detail only in the log)
            _LOGGER.error("reading the hub stream failed", exc_info=error)
            await self._queue.put(InternalError("the audio stream failed unexpectedly"))

    async def next(self) -> bytes | None:
        if self._done:
            return None
        item = await self._queue.get()
        if isinstance(item, BaseException):
            self._done = True
            raise item
        if item is None:
            self._done = True
        return item

    async def close(self) -> None:
        """Stop reading and close the hub stream, which cancels the engines' work."""
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._job.stream.aclose()


class _Outcome:
    """Bookkeeping of one streamed answer: first byte, end, failure or disconnect."""

    def __init__(self, job: SpeechJob, pump: _Pump) -> None:
        self.job = job
        self.pump = pump
        self.state = "streaming"
        self._closed = False
        self.first_at: float | None = None
        job.ctx.metrics.in_flight.inc()

    def sent(self) -> None:
        if self.first_at is None:
            self.first_at = self.job.timer.elapsed()
            self.job.ctx.metrics.ttfb.labels(**self.job.labels).observe(self.first_at)

    def complete(self) -> None:
        self.state = "complete"
        self.job.record_finish(self.job.timer.elapsed(), self.job.stream.audio_seconds)

    def fail(self, error: VoicebusError) -> None:
        self.state = "failed"
        stream = self.job.stream
        _LOGGER.warning(
            "speech stream (engine %s, voice %s) failed after %d of %d sentences: %s",
            stream.engine,
            stream.voice,
            stream.sentences_done,
            len(stream.sentences),
            error,
        )
        self.job.ctx.metrics.error(error.code.value, stage="stream")

    async def close(self) -> None:
        """Close the hub stream (cancelling engine work and releasing its codec); runs once."""
        if self._closed:
            return
        self._closed = True
        await self.pump.close()
        self.job.ctx.metrics.in_flight.dec()
        if self.state == "streaming":
            stream = self.job.stream
            _LOGGER.info(
                "client went away after %d of %d sentences; engine work cancelled",
                stream.sentences_done,
                len(stream.sentences),
            )
            self.job.ctx.metrics.error("client_disconnected", stage="disconnect")


async def _raw_body(outcome: _Outcome) -> AsyncIterator[bytes]:
    try:
        while (data := await outcome.pump.next()) is not None:
            if data:
                outcome.sent()
                yield data
        outcome.complete()
    except VoicebusError as error:
        outcome.fail(error)
        raise StreamAborted(str(error)) from error


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def usage(text: str, audio_seconds: float) -> dict[str, int]:
    """Token counts for ``speech.audio.done``: voicebus does not tokenise, so input is
    characters / 4 and output one token per 20 ms of audio (both rounded up)."""
    input_tokens = math.ceil(len(text) / 4)
    output_tokens = math.ceil(audio_seconds * 50)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


async def _sse_body(outcome: _Outcome) -> AsyncIterator[bytes]:
    job = outcome.job
    try:
        while (data := await outcome.pump.next()) is not None:
            if data:
                outcome.sent()
                audio = base64.b64encode(data).decode("ascii")
                yield _event({"type": "speech.audio.delta", "audio": audio})
        outcome.complete()
        yield _event(
            {"type": "speech.audio.done", "usage": usage(job.text, job.stream.audio_seconds)}
        )
    except VoicebusError as error:
        outcome.fail(error)
        detail = from_voicebus(error, job.ctx.settings.retry_after)
        yield _event(
            {
                "type": "error",
                "error": {"message": detail.message, "type": detail.type, "code": detail.code},
            }
        )


async def streamed_response(job: SpeechJob, *, sse: bool) -> StreamingResponse:
    """Bytes (or SSE events) as the engine makes them."""
    ctx = job.ctx
    outcome = _Outcome(job, _Pump(job))
    headers = job.headers()
    ctx.metrics.speech.labels(**job.labels, delivery="sse" if sse else "audio").inc()
    if sse:
        headers["X-Accel-Buffering"] = "no"
        body, media_type = _sse_body(outcome), "text/event-stream"
    else:
        body, media_type = _raw_body(outcome), job.stream.output.content_type
    return AudioStreamResponse(body, outcome.close, media_type=media_type, headers=headers)
