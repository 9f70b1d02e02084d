"""Streams that yield the client's format, and the sentence-source seam."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import av
import numpy as np

from hub.audio import AudioSpec, decode_to_pcm
from hub.client import HubClient
from hub.client.call_policy import CallOptions
from hub.client.discovery import VoiceRoute
from hub.client.source import PcmChunk, SentenceAudio, SentenceSource
from hub.client.stream import SynthesisStream
from hub.contract.schemas import StreamEnd, StreamStart, SynthesisRequest, VoiceInfo
from tests.conftest import DEFAULT_VOICE
from tests.helpers import assert_is_speech, collect

TEXT = "Please call me back when you get this message. Thank you very much."


class ToneAudio:
    """A sentence made in-test: ``level`` as a constant sample value, after ``delay``."""

    def __init__(self, request: SynthesisRequest, rate: int, delay: float) -> None:
        self.request = request
        self.start: StreamStart | None = None
        self.end: StreamEnd | None = None
        self.fallbacks = 0
        self.cancelled = False
        self._rate = rate
        self._ready = asyncio.create_task(asyncio.sleep(delay))

    @property
    def engine(self) -> str:
        return "tones"

    async def chunks(self) -> AsyncIterator[PcmChunk]:
        await self._ready
        level = 1000 * (self.request.priority + 1)
        pcm = np.full(self._rate // 10, level, dtype="<i2").tobytes()  # 0.1 s
        yield PcmChunk(pcm[: len(pcm) // 2], self._rate)
        yield PcmChunk(pcm[len(pcm) // 2 :], self._rate)
        self.end = StreamEnd(
            request_id=self.request.request_id,
            chunks=2,
            audio_seconds=0.1,
            synthesis_seconds=0.01,
            real_time_factor=0.1,
        )

    async def cancel(self, reason: str = "client") -> None:
        self.cancelled = True


class ToneSource:
    """Later sentences finish first; the last one comes at another rate, like a fallback."""

    def __init__(self) -> None:
        self.started: list[ToneAudio] = []

    def start(self, request: SynthesisRequest, routes: list[VoiceRoute]) -> SentenceAudio:
        rate = 16000 if request.text.startswith("Three") else 8000
        audio = ToneAudio(request, rate, delay=0.2 - 0.05 * len(self.started))
        self.started.append(audio)
        return audio


class CountingSource:
    """Wraps another source, as a cache would."""

    def __init__(self, inner: SentenceSource) -> None:
        self.inner = inner
        self.requests: list[str] = []

    def start(self, request: SynthesisRequest, routes: list[VoiceRoute]) -> SentenceAudio:
        self.requests.append(request.text)
        return self.inner.start(request, routes)


def tone_stream(source: SentenceSource, output: AudioSpec | None = None) -> SynthesisStream:
    route = VoiceRoute("tones", VoiceInfo(name="tone", sample_rate=8000))
    stream = SynthesisStream(
        source,
        [route],
        CallOptions(),
        template={"voice": "tone"},
        max_in_flight=3,
        max_text_chars=1000,
        max_sentence_chars=100,
        output=output,
    )
    stream.feed("One sentence. Two sentences. Three sentences.")
    stream.end_input()
    return stream


async def test_a_stream_served_without_the_bus_is_in_order() -> None:
    source = ToneSource()
    stream = tone_stream(source)
    assert (stream.output.rate, stream.output.encoding) == (8000, "pcm")
    pcm = np.frombuffer(await collect(stream), dtype="<i2")
    assert len(source.started) == 3 and stream.sentences_done == 3
    # 0.1 s per sentence at 8 kHz; the 16 kHz one resampled into the stream's rate.
    assert abs(len(pcm) - 2400) <= 4
    levels = [int(np.median(pcm[i * 800 + 100 : i * 800 + 700])) for i in range(3)]
    assert levels == [1000, 2000, 3000]


async def test_a_stream_without_the_bus_in_exact_frames() -> None:
    stream = tone_stream(ToneSource(), AudioSpec("pcm", rate=48000, channels=2, frame_ms=20))
    assert (stream.sample_rate, stream.channels) == (48000, 2)
    frames = [frame async for frame in stream]
    assert {len(frame) for frame in frames} == {3840}
    assert len(frames) == 15  # 0.3 s


async def test_the_bus_source_can_be_wrapped(hub: HubClient) -> None:
    default = hub.sentence_source
    counting = CountingSource(default)
    hub.sentence_source = counting
    try:
        text = "The bus still makes every sentence. A wrapper only watches."
        stream = await hub.open(text, DEFAULT_VOICE)
        pcm = await collect(stream)
    finally:
        hub.sentence_source = default
    assert counting.requests == stream.sentences and len(stream.sentences) == 2
    assert stream.served_by and all(name.startswith("piper-") for name in stream.served_by)
    assert_is_speech(pcm, stream.sample_rate, text)


async def test_mulaw_frames_from_piper_are_the_words(hub: HubClient, whisper: object) -> None:
    stream = await hub.open(TEXT, DEFAULT_VOICE, output=AudioSpec("mulaw", frame_ms=20))
    output = stream.output
    assert (output.rate, output.channels, output.content_type) == (8000, 1, "audio/basic")
    frames = [frame async for frame in stream]
    assert frames and {len(frame) for frame in frames} == {160}
    pcm, rate, _ = decode_to_pcm(b"".join(frames), "mulaw")
    assert rate == 8000
    assert_is_speech(pcm, rate, TEXT, whisper)


async def test_opus_packets_and_mp3_from_piper(hub: HubClient) -> None:
    text = "Discord wants Opus packets."
    spec = AudioSpec("opus_packets", channels=2, frame_ms=20)
    packets = [packet async for packet in hub.synthesize(text, DEFAULT_VOICE, output=spec)]
    decoder = av.CodecContext.create("opus", "r")
    frames = [frame for packet in packets for frame in decoder.decode(av.Packet(packet))]
    assert {(frame.samples, frame.sample_rate) for frame in frames} == {(960, 48000)}
    assert len(frames) == len(packets)
    stream = await hub.open(text, DEFAULT_VOICE, output=AudioSpec("mp3"))
    assert stream.output.content_type == "audio/mpeg"
    pcm, rate, _ = decode_to_pcm(await collect(stream), "mp3")
    assert rate == 22050
    assert abs(len(pcm) / 2 / rate - len(packets) * 0.02) <= 0.15
    assert_is_speech(pcm, rate, text)
