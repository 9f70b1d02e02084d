"""What Wyoming clients send as text: streamed fragments that cut a tag or an escape code
are spoken clean, lone surrogates and NUL are spoken around, and streamed text the voice
cannot read gets an ``error`` event in words before any audio."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from wyoming.event import async_read_event
from wyoming.tts import SynthesizeChunk, SynthesizeStart

from adapters.wyoming.server import WyomingAdapter
from adapters.wyoming.settings import WyomingSettings
from hub.client import HubClient
from tests.adapters.wyoming.test_server import (
    RATE,
    Reply,
    connect,
    read_reply,
    stream_like_home_assistant,
)
from tests.helpers import assert_is_speech


@pytest.fixture(scope="module")
async def adapter(hub: HubClient) -> AsyncIterator[WyomingAdapter]:
    async with WyomingAdapter(WyomingSettings(host="127.0.0.1", port=0), hub) as running:
        yield running


@pytest.mark.parametrize(
    ("fragments", "spoken"),
    [
        (["Hi <bre", "ak time='1s'/> there."], "Hi, there."),
        (["The \x1b[3", "1mred\x1b", "[0m light is on."], "The red light is on."),
    ],
    ids=["split-ssml-tag", "split-ansi-code"],
)
async def test_a_tag_or_code_cut_between_chunks_is_not_spoken(
    adapter: WyomingAdapter, whisper: Any, fragments: list[str], spoken: str
) -> None:
    async with connect(adapter) as client:
        reply = await stream_like_home_assistant(client, fragments)
    reply.assert_one_response(streamed=True)
    assert_is_speech(reply.pcm, RATE, spoken, whisper)


async def test_streamed_text_the_voice_cannot_read_is_refused(adapter: WyomingAdapter) -> None:
    async with connect(adapter) as client:
        await client.write_event(SynthesizeStart().event())
        for fragment in ["你好\uff0c世界", "\u3002今天天气很好\u3002"]:
            await client.write_event(SynthesizeChunk(text=fragment).event())
        reply = await read_reply(client, "error")
        assert reply.error is not None and reply.error.code == "invalid_request", reply.types
        assert "mostly Han script" in reply.error.text and "audio-chunk" not in reply.types
        assert await client.read_event() is None


def raw_event(kind: str, **data: Any) -> bytes:
    """An event as a client may write it: JSON escapes for what UTF-8 cannot carry (the
    ``wyoming`` library itself cannot even send a lone surrogate)."""
    return (json.dumps({"type": kind, "data": data}) + "\n").encode()


async def raw_reply(adapter: WyomingAdapter, events: list[bytes], last: str) -> Reply:
    reader, writer = await asyncio.open_connection("127.0.0.1", adapter.port)
    try:
        writer.write(b"".join(events))
        await writer.drain()
        reply = Reply()
        async with asyncio.timeout(30):
            while (event := await async_read_event(reader)) is not None:
                reply.events.append(event)
                if event.type in (last, "error"):
                    return reply
        return reply
    finally:
        writer.close()


@pytest.mark.parametrize(
    "text",
    ["Hello \ud800 there.", "Hello\x00 there.", "Hello \udfff\ud83d there."],
    ids=["lone-high-surrogate", "nul", "reversed-pair"],
)
async def test_lone_surrogates_and_nul_are_spoken_around(
    adapter: WyomingAdapter, whisper: Any, text: str
) -> None:
    """The hub replaces them (a lone surrogate cannot even be serialised to the bus), in
    one-shot and in streamed text, and the words around them are spoken."""
    reply = await raw_reply(adapter, [raw_event("synthesize", text=text)], "audio-stop")
    assert reply.error is None, reply.error
    reply.assert_one_response(streamed=False)
    assert_is_speech(reply.pcm, RATE, "Hello there.", whisper)
    middle = len("Hello ") + 1
    streamed = [
        raw_event("synthesize-start"),
        raw_event("synthesize-chunk", text=text[:middle]),
        raw_event("synthesize-chunk", text=text[middle:]),
        raw_event("synthesize-stop"),
    ]
    reply = await raw_reply(adapter, streamed, "synthesize-stopped")
    assert reply.error is None, reply.error
    reply.assert_one_response(streamed=True)
