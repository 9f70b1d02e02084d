"""A synthesis stream: sentences in, ordered PCM out, several sentences in flight.

Text arrives whole (``feed`` + ``end_input`` at once) or in fragments (Wyoming streaming);
each complete sentence becomes a ``SentenceCall`` as soon as the in-flight window allows.
Audio is yielded strictly in sentence order: later sentences that finish first wait in their
call's queue. Closing the stream cancels every call still running.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Any

from nats.aio.client import Client

from hub.client.discovery import VoiceRoute
from hub.client.sentence_call import CallOptions, SentenceCall
from hub.client.text import SentenceBuffer
from hub.contract.errors import TextTooLongError
from hub.contract.schemas import StreamEnd, SynthesisRequest
from hub.contract.subjects import Subjects


class SynthesisStream:
    def __init__(
        self,
        nc: Client,
        subjects: Subjects,
        routes: list[VoiceRoute],
        options: CallOptions,
        *,
        template: dict[str, Any],
        max_in_flight: int,
        max_text_chars: int,
        max_sentence_chars: int,
        requested_engine: str | None = None,
    ) -> None:
        self._nc = nc
        self._subjects = subjects
        self.routes = routes
        self.route = routes[0]
        self.fallbacks = 0
        self._serving_engine: str | None = None
        self.requested_engine = requested_engine or routes[0].engine
        """Sentences that a fallback engine made because the first choice could not."""
        self._options = options
        self._template = template
        self._max_in_flight = max_in_flight
        self._max_text_chars = max_text_chars
        self._buffer = SentenceBuffer(max_sentence_chars)
        self.sentences: list[str] = []
        self.stats: list[StreamEnd] = []
        self.served_by: list[str] = []
        """Worker instance that made each finished sentence, in order."""
        self._calls: dict[int, SentenceCall] = {}
        self._launched = 0
        self._current = 0
        self._chars = 0
        self._input_closed = False
        self._more = asyncio.Event()
        self._generator: AsyncGenerator[bytes, None] | None = None

    # ---- format ----------------------------------------------------------------------

    @property
    def engine(self) -> str:
        """The engine that made the first audio (a fallback, if the first choice failed)."""
        return self._serving_engine or self.route.engine

    @property
    def voice(self) -> str:
        return self.route.voice.name

    @property
    def sample_rate(self) -> int:
        return self.route.voice.sample_rate

    sample_width = 2
    channels = 1

    @property
    def fell_back(self) -> bool:
        """True when another engine than the one asked for made (some of) the audio."""
        return self.fallbacks > 0 or self.engine != self.requested_engine

    @property
    def sentences_done(self) -> int:
        return len(self.stats)

    @property
    def audio_seconds(self) -> float:
        return sum(end.audio_seconds for end in self.stats)

    @property
    def synthesis_seconds(self) -> float:
        return sum(end.synthesis_seconds for end in self.stats)

    # ---- input -----------------------------------------------------------------------

    def feed(self, fragment: str) -> None:
        """Add text; every sentence it completes is sent to the engine right away."""
        if self._input_closed:
            raise RuntimeError("feed() after end_input()")
        self._chars += len(fragment)
        if self._chars > self._max_text_chars:
            raise TextTooLongError(f"text is longer than {self._max_text_chars} characters")
        self._add(self._buffer.feed(fragment))

    def end_input(self) -> None:
        """No more text: the rest of the buffer becomes the last sentence(s)."""
        if not self._input_closed:
            self._add(self._buffer.flush())
            self._input_closed = True
            self._more.set()

    def _add(self, sentences: list[str]) -> None:
        if sentences:
            self.sentences.extend(sentences)
            self._launch_ready()
            self._more.set()

    def _launch_ready(self) -> None:
        limit = min(len(self.sentences), self._current + self._max_in_flight)
        while self._launched < limit:
            index = self._launched
            request = SynthesisRequest(
                text=self.sentences[index],
                deadline=time.time() + self._options.sentence_timeout,
                priority=index,
                **self._template,
            )
            self._calls[index] = SentenceCall(
                self._nc, self._subjects, self.routes, request, self._options, self.sample_rate
            )
            self._launched += 1

    # ---- output ----------------------------------------------------------------------

    def __aiter__(self) -> SynthesisStream:
        return self

    async def __anext__(self) -> bytes:
        if self._generator is None:
            self._generator = self._generate()
        return await self._generator.__anext__()

    async def _generate(self) -> AsyncGenerator[bytes, None]:
        try:
            while True:
                while self._current >= len(self.sentences):
                    if self._input_closed:
                        return
                    self._more.clear()
                    await self._more.wait()
                call = self._calls[self._current]
                async for pcm in call.chunks():
                    self._serving_engine = self._serving_engine or call.engine
                    yield pcm
                if call.end is not None:
                    self.stats.append(call.end)
                if call.start is not None:
                    self.served_by.append(call.start.instance)
                self.fallbacks += call.fallbacks
                del self._calls[self._current]
                self._current += 1
                self._launch_ready()
        finally:
            await self._cancel_all("stream closed")

    async def _cancel_all(self, reason: str) -> None:
        calls = list(self._calls.values())
        self._calls.clear()
        await asyncio.gather(*(call.cancel(reason) for call in calls), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop early: cancel every sentence still being made."""
        self._input_closed = True
        if self._generator is not None:
            await self._generator.aclose()
        else:
            await self._cancel_all("stream closed")

    async def __aenter__(self) -> SynthesisStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
