"""The media socket, with a real WebSocket client playing Twilio's side exactly."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from adapters.twilio.app import TwilioAdapter
from tests.adapters.twilio.support import FRAME, FakeTwilio, new_token
from tests.helpers import assert_is_speech

GREETING = "Hello caller. Welcome to the voice bus."


async def test_greeting_is_160_byte_mulaw_frames_of_speech_with_a_mark_per_sentence(
    twilio_server: TwilioAdapter, whisper: Any
) -> None:
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)
        frames = twilio.frames()
        assert frames and all(len(frame) == FRAME for frame in frames)
        assert all(r.message["streamSid"] == twilio.stream_sid for r in twilio.received)
        assert all(r.text for r in twilio.received), "only JSON text frames"
        assert_is_speech(twilio.pcm(), 8000, GREETING, whisper)
        kinds = [r.message["event"] for r in twilio.received]
        marks = [i for i, kind in enumerate(kinds) if kind == "mark"]
        assert len(marks) == 2, kinds
        # Each sentence's mark comes after its audio: the first one splits the audio in two
        # parts, each a sentence long, and the last message is the second mark.
        assert 0 < marks[0] < marks[1] == len(kinds) - 1
        first, second = marks[0], len(kinds) - 2 - marks[0]
        assert 0.4 < first * 0.02 < 1.8 and 0.8 < second * 0.02 < 3.0
        assert twilio.echoed == ["u1-s1", "u1-s2"]
        assert not twilio.playback.gaps, f"playback fell behind: {twilio.playback.gaps}"


@pytest.mark.parametrize("token", [None, "", "bogus", "1.2.3", "9999999999.nonce.deadbeef"])
async def test_a_bad_token_closes_the_socket(twilio_server: TwilioAdapter, token: Any) -> None:
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start({} if token is None else {"token": token})
        await asyncio.wait_for(twilio.closed.wait(), 5)
        assert not twilio.events("media")
        assert twilio.call_sid not in twilio_server.context.calls


@pytest.mark.parametrize(
    "media_format",
    [
        {"encoding": "audio/x-l16", "sampleRate": 8000, "channels": 1},
        {"encoding": "audio/x-mulaw", "sampleRate": 16000, "channels": 1},
        {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 2},
        "audio/x-mulaw",
        None,
    ],
)
async def test_a_media_format_other_than_mulaw_8000_mono_is_refused_clearly(
    twilio_server: TwilioAdapter, caplog: pytest.LogCaptureFixture, media_format: Any
) -> None:
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start({"token": new_token()}, media_format)  # None: no mediaFormat
        await asyncio.wait_for(twilio.closed.wait(), 5)
        assert not twilio.events("media")
        assert twilio.close_code == 1008
        assert twilio.close_reason == "unsupported mediaFormat: audio/x-mulaw 8000 Hz mono only"
    assert "unsupported mediaFormat" in caplog.text
    assert [r.levelname for r in caplog.records if "mediaFormat" in r.getMessage()] == ["WARNING"]


async def test_a_reused_token_closes_the_socket(twilio_server: TwilioAdapter) -> None:
    token = new_token()
    async with FakeTwilio(twilio_server.port) as first:
        await first.start({"token": token})
        await first.wait_for(lambda: bool(first.events("media")))
        async with FakeTwilio(twilio_server.port) as second:
            await second.start({"token": token})
            await asyncio.wait_for(second.closed.wait(), 5)
            assert not second.events("media")
        assert not first.closed.is_set()


async def test_malformed_and_binary_frames_do_not_end_the_call(
    twilio_server: TwilioAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.twilio")
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.raw(b"\x00\x01binary")
        await twilio.raw("not json")
        await twilio.start({"token": new_token()})
        await twilio.raw(b"\xff" * 160)
        await twilio.raw(json.dumps({"event": "media", "streamSid": twilio.stream_sid}))
        await twilio.raw(json.dumps({"event": "media", "media": {"payload": "%%%"}}))
        await twilio.raw(json.dumps({"event": "unknown-thing"}))
        await twilio.raw("[1, 2, 3]")
        await twilio.wait_marks_heard(2)
        assert not twilio.closed.is_set()
        assert twilio.call_sid in twilio_server.context.calls
        await twilio.stop()
        await asyncio.wait_for(twilio.closed.wait(), 5)
        assert twilio.call_sid not in twilio_server.context.calls
    # Each ignored frame left a warning saying why (and nothing of its content).
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert all(r.levelno == logging.WARNING for r in caplog.records if "ignored" in r.msg)
    assert sum("binary frame" in line for line in ignored) == 2, ignored
    assert sum("frame is not JSON" in line for line in ignored) == 1, ignored
    assert sum("not a known Media Streams event" in line for line in ignored) == 2, ignored
    assert sum(f"call {twilio.call_sid}: ignored" in line for line in ignored) == 2, ignored
    assert any("without its 'media' object" in line for line in ignored)
    assert any("without a valid base64 payload" in line for line in ignored)
