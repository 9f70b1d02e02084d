"""What Wyoming clients send as text, good and bad: streamed fragments that cut a tag or an
escape code are spoken clean; text the voice cannot read, and every bad request, gets an
``error`` event in words, and the next good request on a new connection still works."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from wyoming.tts import SynthesizeChunk, SynthesizeStart

from adapters.wyoming.server import WyomingAdapter
from adapters.wyoming.settings import WyomingSettings
from hub.client import HubClient
from tests.adapters.wyoming.test_server import (
    RATE,
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
