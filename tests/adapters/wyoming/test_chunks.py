"""Wyoming audio-chunk events are exactly ``samples_per_chunk`` samples (``* 2`` bytes of
s16le mono), whatever the engine's own chunking and however many sentences the text has; only
the last chunk of a response may be shorter (it is not padded: Wyoming clients play what they
get). Against the real bus and Piper, with the ``wyoming`` package's client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from wyoming.audio import AudioChunk
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

from adapters.wyoming.server import WyomingAdapter
from adapters.wyoming.settings import WyomingSettings
from hub.client import HubClient

SAMPLES = 700
"""Not a divisor of anything the engine or the hub uses, so only exact framing passes."""

TEXT = "The first sentence is here. A second one follows it. And the third ends the text."


@pytest.fixture(scope="module")
async def adapter(hub: HubClient) -> AsyncIterator[WyomingAdapter]:
    settings = WyomingSettings(host="127.0.0.1", port=0, samples_per_chunk=SAMPLES)
    async with WyomingAdapter(settings, hub) as running:
        yield running


async def chunks_until(client: AsyncTcpClient, last: str) -> list[bytes]:
    events: list[Event] = []
    while (event := await client.read_event()) is not None:
        events.append(event)
        if event.type == last:
            break
    assert events and events[-1].type == last, [e.type for e in events]
    return [AudioChunk.from_event(e).audio for e in events if AudioChunk.is_type(e.type)]


def assert_exact(chunks: list[bytes]) -> None:
    assert len(chunks) > 10, "too little audio to say anything about framing"
    sizes = [len(chunk) for chunk in chunks]
    assert set(sizes[:-1]) == {SAMPLES * 2}, sorted(set(sizes))
    assert 0 < sizes[-1] <= SAMPLES * 2


def connect(adapter: WyomingAdapter) -> AsyncTcpClient:
    return AsyncTcpClient("127.0.0.1", adapter.port, connect_timeout=5, read_timeout=20)


async def test_one_shot_chunks_are_exact(adapter: WyomingAdapter) -> None:
    async with connect(adapter) as client:
        await client.write_event(Synthesize(text=TEXT).event())
        assert_exact(await chunks_until(client, "audio-stop"))


async def test_streamed_chunks_are_exact_across_sentences(adapter: WyomingAdapter) -> None:
    async with connect(adapter) as client:
        await client.write_event(SynthesizeStart().event())
        for sentence in TEXT.split(". "):
            await client.write_event(SynthesizeChunk(text=sentence + ". ").event())
        await client.write_event(Synthesize(text=TEXT).event())
        await client.write_event(SynthesizeStop().event())
        assert_exact(await chunks_until(client, "synthesize-stopped"))
