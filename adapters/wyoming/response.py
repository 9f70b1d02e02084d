"""The audio answer to one Wyoming request, sent by its own task.

Every response, one-shot or streamed, is exactly one ``audio-start``, the chunks, and one
``audio-stop``; a streamed response then ends with ``synthesize-stopped``. One pair for the
whole answer is what both Home Assistant paths need: the one-shot reader stops at the first
``audio-stop`` and the streaming reader writes a single WAV header from the first
``audio-start``. One stream is one format (the hub stream's output spec: raw PCM at the
voice's rate, cut by the hub into ``samples_per_chunk`` frames), so it never changes
inside it and each hub chunk is one ``audio-chunk`` event.

The task runs beside the connection's reader, so text keeps arriving (``feed``) while audio
for earlier sentences is already going out. It always ends by closing the synthesis
stream, which cancels whatever the engines are still making.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.tts import SynthesizeStopped

from hub.client.stream import SynthesisStream

_LOGGER = logging.getLogger(__name__)

Send = Callable[[Event], Awaitable[None]]
OnFailure = Callable[[Exception], Awaitable[None]]


class ClientGoneError(ConnectionError):
    """The client stopped reading, or its connection broke, while audio was being sent."""


class Response:
    def __init__(
        self,
        stream: SynthesisStream,
        send: Send,
        on_failure: OnFailure,
        *,
        streamed: bool,
        label: str,
    ) -> None:
        self.stream = stream
        self.streamed = streamed
        self._send = send
        self._on_failure = on_failure
        self._frame_bytes = stream.sample_width * stream.channels
        self._label = label
        self._frames_sent = 0
        self._began = time.monotonic()
        self._first_audio: float | None = None
        self._stopped = False
        self._task = asyncio.create_task(self._run(), name=f"wyoming-response {label}")

    # ---- input (streamed responses) ------------------------------------------------

    def feed(self, text: str) -> None:
        """More text; every sentence it completes goes to the engines at once."""
        if not self._stopped:
            self.stream.feed(text)

    def end_input(self) -> None:
        if not self._stopped:
            self.stream.end_input()

    # ---- lifecycle -------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._task.done()

    async def wait(self) -> None:
        """Until the last event of this response is sent, or it failed or was cancelled."""
        await asyncio.wait([self._task])

    async def cancel(self) -> None:
        """Stop now and cancel the engines' work for this response."""
        self._stopped = True
        self._task.cancel()
        await asyncio.wait([self._task])
        await self.stream.aclose()  # the task may have been cancelled before it began

    async def _run(self) -> None:
        failure: Exception | None = None
        try:
            await self._send_audio()
        except Exception as error:  # engine errors, a client gone: the handler decides
            failure = error
        finally:
            self._stopped = True  # late text is dropped, not fed to a closed stream
            await self.stream.aclose()
        if failure is not None:
            await self._on_failure(failure)
        else:
            self._log_done()

    # ---- sending ---------------------------------------------------------------------

    async def _send_audio(self) -> None:
        stream = self.stream
        await self._send(
            AudioStart(
                rate=stream.sample_rate,
                width=stream.sample_width,
                channels=stream.channels,
                timestamp=0,
            ).event()
        )
        async for pcm in stream:
            await self._send_chunk(pcm)
        await self._send(AudioStop(timestamp=self._timestamp()).event())
        if self.streamed:
            await self._send(SynthesizeStopped().event())

    async def _send_chunk(self, pcm: bytes) -> None:
        if self._first_audio is None:
            self._first_audio = time.monotonic()
        stream = self.stream
        chunk = AudioChunk(
            rate=stream.sample_rate,
            width=stream.sample_width,
            channels=stream.channels,
            audio=pcm,
            timestamp=self._timestamp(),
        )
        await self._send(chunk.event())
        self._frames_sent += len(pcm) // self._frame_bytes

    def _timestamp(self) -> int:
        """Milliseconds of audio sent so far in this response."""
        return self._frames_sent * 1000 // self.stream.sample_rate

    def _log_done(self) -> None:
        elapsed = time.monotonic() - self._began
        first = (
            f"first audio after {(self._first_audio - self._began) * 1000:.0f} ms"
            if self._first_audio is not None
            else "no audio"
        )
        _LOGGER.info(
            "%s: %d sentence(s), %.1f s of audio with %s on %s (%s response): %s, done in %.2f s",
            self._label,
            len(self.stream.sentences),
            self._frames_sent / self.stream.sample_rate,
            self.stream.voice,
            self.stream.engine,
            "streamed" if self.streamed else "one-shot",
            first,
            elapsed,
        )
