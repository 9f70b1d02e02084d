"""One live call: what it is saying, what the caller has heard, and barge-in.

Speech is a queue of utterances played one at a time by :meth:`Call.run`. Each utterance is
one hub stream in 160-byte mu-law frames, sent as soon as they are made (Twilio buffers and
plays in order), with a ``mark`` after each sentence. A mark Twilio echoes back is "heard";
one echoed after a ``clear`` is not. Interrupting (caller speech, ``*``, a ``say`` with
``interrupt``, a hang-up) sends ``clear`` and cancels the synthesis on the bus.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.twilio import messages
from adapters.twilio.vad import SpeechDetector
from hub.audio import AudioSpec
from hub.client import HubClient
from hub.client.stream import SynthesisStream
from hub.contract.errors import VoicebusError
from hub.contract.schemas import PriorityClass

_LOGGER = logging.getLogger(__name__)

PHONE_AUDIO = AudioSpec("mulaw", frame_ms=20)
"""Exact 160-byte frames of mu-law 8 kHz mono."""

Send = Callable[[str], Awaitable[None]]
"""Sends one text frame to Twilio; raises :class:`CallEnded` once the socket is gone."""
Emit = Callable[[str, dict[str, Any]], Awaitable[None]]


class CallEnded(Exception):
    """The socket to Twilio is closed: nothing more can be sent."""


@dataclass
class Utterance:
    number: int
    text: str
    voice: str | None = None


@dataclass
class CallOptions:
    voice: str | None = None
    barge_in: bool = True
    hangup_when_done: bool = False


@dataclass
class PlaybackState:
    """Marks in flight and what the caller heard."""

    pending: dict[str, str] = field(default_factory=dict)
    cleared: set[str] = field(default_factory=set)
    heard: list[str] = field(default_factory=list)
    frames_sent: int = 0


class Call:
    def __init__(
        self,
        call_sid: str,
        stream_sid: str,
        *,
        hub: HubClient,
        send: Send,
        emit: Emit,
        detector: SpeechDetector,
        options: CallOptions,
    ) -> None:
        self.call_sid, self.stream_sid = call_sid, stream_sid
        self.options = options
        self.started_at = time.time()
        self.playback = PlaybackState()
        self.ended = asyncio.Event()
        """Set when the call should end (hang-up asked, or the text is done)."""
        self._hub, self._send, self._emit, self._detector = hub, send, emit, detector
        self._queue: deque[Utterance] = deque()
        self._wake = asyncio.Event()
        self._speaking: asyncio.Task[None] | None = None
        self._count = 0

    # ---- what the rest of the adapter calls -------------------------------------------

    @property
    def speaking(self) -> bool:
        """True while audio is being made or Twilio still has some of it to play."""
        busy = self._speaking is not None and not self._speaking.done()
        return busy or bool(self.playback.pending)

    def describe(self) -> dict[str, Any]:
        return {
            "call_sid": self.call_sid,
            "stream_sid": self.stream_sid,
            "started_at": self.started_at,
            "speaking": self.speaking,
            "queued": len(self._queue),
            "heard": len(self.playback.heard),
            "barge_in": self.options.barge_in,
        }

    async def say(
        self,
        text: str,
        voice: str | None = None,
        interrupt: bool = False,
        barge_in: bool | None = None,
    ) -> None:
        """Queue ``text`` (with ``interrupt``: instead of what is queued and playing).
        ``barge_in`` turns barge-in on or off for the call from now on (None: unchanged)."""
        if barge_in is not None:
            self.options.barge_in = barge_in
        if interrupt:
            self._queue.clear()
            if self.speaking:
                await self.interrupt("say")
        self._count += 1
        self._queue.append(Utterance(self._count, text, voice or self.options.voice))
        self._wake.set()

    async def interrupt(self, reason: str) -> None:
        """Cancel the utterance being made (no frame of it is sent after this), then flush
        Twilio's buffer; the marks it echoes for the flushed audio are not counted."""
        if self._speaking is not None:
            self._speaking.cancel()
        self.playback.cleared.update(self.playback.pending)
        self.playback.pending.clear()
        await self._send(messages.clear(self.stream_sid))
        await self._emit("barge-in", {"reason": reason})

    def hangup(self) -> None:
        self.ended.set()

    async def on_media(self, frame: bytes) -> None:
        if self._detector.feed(frame) and self.options.barge_in and self.speaking:
            await self.interrupt("speech")

    async def on_dtmf(self, digit: str) -> None:
        await self._emit("dtmf", {"digit": digit})
        if digit == "*" and self.options.barge_in and self.speaking:
            await self.interrupt("dtmf")

    async def on_mark(self, name: str) -> None:
        if name in self.playback.cleared:
            self.playback.cleared.discard(name)  # flushed by a clear: never played
            self._end_if_done()  # an outbound text interrupted after it was all sent
            return
        sentence = self.playback.pending.pop(name, None)
        if sentence is None:
            _LOGGER.debug("call %s: unknown mark %r", self.call_sid, name)
            return
        self.playback.heard.append(name)
        await self._emit("mark", {"name": name, "text": sentence})
        self._end_if_done()

    def _end_if_done(self) -> None:
        """With ``hangup_when_done``: end the call once everything queued was heard."""
        task = self._speaking
        idle = task is None or task.done()
        if self.options.hangup_when_done and idle and not self._queue and not self.playback.pending:
            self.ended.set()

    # ---- playing ----------------------------------------------------------------------

    async def run(self) -> None:
        """Play queued utterances until cancelled (the call ended)."""
        try:
            while True:
                while not self._queue:
                    self._wake.clear()
                    await self._wake.wait()
                utterance = self._queue.popleft()
                self._speaking = asyncio.create_task(self._speak(utterance))
                await asyncio.wait({self._speaking})
                self._end_if_done()
        finally:
            if self._speaking is not None:
                self._speaking.cancel()
                await asyncio.wait({self._speaking})

    async def _speak(self, utterance: Utterance) -> None:
        try:
            stream = await self._hub.open(
                utterance.text,
                utterance.voice,
                output=PHONE_AUDIO,
                priority_class=PriorityClass.REALTIME,  # a caller is on the line
            )
        except VoicebusError as error:
            _LOGGER.warning("call %s: cannot speak: %s", self.call_sid, error)
            await self._emit("error", {"message": str(error)})
            return
        try:
            await self._play(stream, utterance)
        except VoicebusError as error:
            _LOGGER.warning("call %s: speech ended early: %s", self.call_sid, error)
            await self._emit("error", {"message": str(error)})
        except CallEnded:
            _LOGGER.debug("call %s: socket closed mid-speech", self.call_sid)
        finally:
            # Shielded: a hang-up may cancel this task while the stream cancels its
            # sentences on the bus, and those cancels must still go out.
            await asyncio.shield(stream.aclose())

    async def _play(self, stream: SynthesisStream, utterance: Utterance) -> None:
        marked = 0
        async for frame in stream:
            await self._send(messages.media(self.stream_sid, frame))
            self.playback.frames_sent += 1
            # A frame yielded after a sentence ended holds that sentence's last samples
            # (frames straddle sentences): its mark goes right after it. The last sentence
            # is marked after the stream ends: its tail may flush as more than one frame.
            done = min(stream.sentences_done, len(stream.sentences) - 1)
            marked = await self._mark_sentences(stream, utterance, marked, done)
        await self._mark_sentences(stream, utterance, marked, len(stream.sentences))

    async def _mark_sentences(
        self, stream: SynthesisStream, utterance: Utterance, marked: int, done: int
    ) -> int:
        """Send a mark for each sentence finished since the last one marked."""
        while marked < done:
            name = f"u{utterance.number}-s{marked + 1}"
            self.playback.pending[name] = stream.sentences[marked]
            await self._send(messages.mark(self.stream_sid, name))
            marked += 1
        return marked
