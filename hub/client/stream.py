"""A synthesis stream: sentences in, ordered audio out, several sentences in flight.

Text arrives whole (``feed`` + ``end_input`` at once) or in fragments (Wyoming streaming);
each complete sentence is handed to the stream's ``SentenceSource`` (the bus, by default)
as soon as the in-flight window allows; a long first sentence goes as two pieces, a short
head cut at a clause boundary and the rest (``cut_first_piece``), so first audio is early.
Audio is yielded strictly in sentence order: later sentences that finish first wait in their
own queue. Every sentence's PCM goes through the
stream's one converter into ``output`` (by default mono s16le at the first route's rate).
Closing the stream cancels every sentence still being made.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import Executor
from typing import Any

from hub.audio import AudioSpec, OutputFormat
from hub.client.admission import voice_that_reads
from hub.client.call_policy import CallOptions
from hub.client.conversion import StreamConversion
from hub.client.discovery import VoiceRoute
from hub.client.source import SentenceAudio, SentenceSource
from hub.client.speakable import FragmentCleaner
from hub.client.text import SentenceBuffer, cut_first_piece
from hub.contract.errors import TextTooLongError
from hub.contract.schemas import StreamEnd, SynthesisRequest


class SynthesisStream:
    def __init__(
        self,
        source: SentenceSource,
        routes: list[VoiceRoute],
        options: CallOptions,
        *,
        template: dict[str, Any],
        max_in_flight: int,
        max_text_chars: int,
        max_sentence_chars: int,
        requested_engine: str | None = None,
        output: AudioSpec | None = None,
        executor: Executor | None = None,
        live_voices: Callable[[], list[VoiceRoute]] | None = None,
    ) -> None:
        self.source = source
        """Makes the sentences (a cache's per-stream view says what it found)."""
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
        self._cleaner = FragmentCleaner()
        self._head = ""  # the cleaned text until the first sentence is complete
        self._buffer = SentenceBuffer(max_sentence_chars)
        self._live_voices = live_voices or (lambda: self.routes)
        """Voices to name when the first sentence is in a script this voice cannot read."""
        self.sentences: list[str] = []
        self.stats: list[StreamEnd] = []
        self.served_by: list[str] = []
        """Worker instance that made each finished sentence, in order."""
        self.output: OutputFormat = (output or AudioSpec()).resolve(routes[0].voice.sample_rate)
        """What the stream yields (encoding, rate, channels, content type), known at once."""
        self._conversion = StreamConversion(self.output, executor)
        self._calls: dict[int, SentenceAudio] = {}
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
        """Rate of the output (the first route's voice unless the output spec says)."""
        return self.output.rate

    @property
    def sample_width(self) -> int:
        return self.output.sample_width

    @property
    def channels(self) -> int:
        return self.output.channels

    @property
    def output_seconds(self) -> float:
        """Audio time yielded so far, measured on the output (padding included)."""
        return self._conversion.seconds

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
        self._add(self._buffer.feed(self._remember_head(self._cleaner.feed(fragment))))

    def end_input(self) -> None:
        """No more text: the rest of the buffer becomes the last sentence(s)."""
        if not self._input_closed:
            rest = self._buffer.feed(self._remember_head(self._cleaner.flush()))
            self._add(rest + self._buffer.flush())
            self._input_closed = True
            self._more.set()

    def _add(self, sentences: list[str]) -> None:
        if sentences and not self.sentences:  # a short first piece: early first audio
            self._check_script()
            sentences = cut_first_piece(sentences[0]) + sentences[1:]
        if sentences:
            self.sentences.extend(sentences)
            self._launch_ready()
            self._more.set()

    def _remember_head(self, text: str) -> str:
        """Cleaned text passes through; until the first sentence it is kept for its check."""
        if not self.sentences:
            self._head += text
        return text

    def _check_script(self) -> None:
        """Text the voice cannot read is refused, naming voices that can, once the first
        sentence is complete: judged on all the text so far (for whole text, the text the
        hub already judged before routing; streamed, the first sentence and a little)."""
        head, self._head = self._head, ""
        voice_that_reads(head, self.route, self._live_voices(), automatic=False)

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
            self._calls[index] = self.source.start(request, self.routes)
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
                        for data in await self._conversion.flush():
                            yield data
                        return
                    self._more.clear()
                    await self._more.wait()
                call = self._calls[self._current]
                async for chunk in call.chunks():
                    self._serving_engine = self._serving_engine or call.engine
                    for data in await self._conversion.convert(chunk.pcm, chunk.rate):
                        yield data
                if call.end is not None:
                    self.stats.append(call.end)
                if call.start is not None:
                    self.served_by.append(call.start.instance)
                self.fallbacks += call.fallbacks
                del self._calls[self._current]
                self._current += 1
                self._launch_ready()
        finally:
            self._conversion.close()
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
            self._conversion.close()
            await self._cancel_all("stream closed")

    async def __aenter__(self) -> SynthesisStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
