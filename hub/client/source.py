"""The seam between a synthesis stream and whatever makes its sentences.

A :class:`SynthesisStream` asks its :class:`SentenceSource` for each sentence and reads
the :class:`SentenceAudio` it gets back; it never knows whether the audio came from the
bus (:class:`~hub.client.sentence_call.BusSentenceSource`, the default), a cache, or a test.
A cache wraps the default source:

    hub.sentence_source = CachingSource(hub.sentence_source)

Each chunk carries its sample rate, so a sentence made by a fallback voice at another rate
goes through the stream's one converter like every other sentence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NamedTuple, Protocol

from hub.client.discovery import VoiceRoute
from hub.contract.schemas import StreamEnd, StreamStart, SynthesisRequest


class PcmChunk(NamedTuple):
    """Mono s16le PCM and its sample rate."""

    pcm: bytes
    rate: int


class SentenceAudio(Protocol):
    """One sentence being made: its PCM in order, then ``end`` (or a typed error)."""

    start: StreamStart | None
    """The engine's stream start, once it came (None for audio that never saw an engine)."""
    end: StreamEnd | None
    """Set when ``chunks()`` has finished normally."""
    fallbacks: int
    """How many times the sentence moved down the route chain."""

    @property
    def engine(self) -> str:
        """The engine that made (or is making) the audio."""
        ...

    def chunks(self) -> AsyncIterator[PcmChunk]:
        """PCM in order; raises the sentence's typed error if it failed."""
        ...

    async def cancel(self, reason: str = "client") -> None:
        """Stop now and tell whoever makes the audio to stop."""
        ...


class SentenceSource(Protocol):
    def start(self, request: SynthesisRequest, routes: list[VoiceRoute]) -> SentenceAudio:
        """Begin making ``request`` (routes: the voice's engine, then its fallbacks)."""
        ...
