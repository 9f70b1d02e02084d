"""The hub client against the real bus and Piper workers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest

from hub.client import HubClient
from hub.contract.errors import InvalidRequestError, TextTooLongError, VoiceNotFoundError
from hub.contract.schemas import KIND_HEADER, ErrorCode, StreamError, SynthesisRequest
from hub.process.natsserver import NatsServer
from tests.conftest import DEFAULT_VOICE, client_settings
from tests.helpers import (
    assert_is_speech,
    collect,
    pcm_to_float,
    story,
    transcribe,
    word_error_rate,
)

FRUIT = (
    "Apples grow on tall trees in the orchard. Bananas are yellow and sweet. "
    "Cherries are small and red. Dates come from palm trees in the desert."
)


def long_text(count: int, words: int = 12) -> str:
    filler = " ".join(["and then the quiet river kept on flowing"] * (words // 8 + 1))
    return " ".join(f"Sentence number {i + 1} says {filler}." for i in range(count))


async def test_text_is_spoken_in_sentence_order(hub: HubClient, whisper: object) -> None:
    stream = await hub.open(FRUIT, DEFAULT_VOICE)
    pcm = await collect(stream)
    assert stream.sentences_done == len(stream.sentences) == 4
    assert stream.sample_rate == 22050
    assert_is_speech(pcm, stream.sample_rate, FRUIT, whisper)
    heard = transcribe(whisper, pcm, stream.sample_rate).lower()
    positions = [heard.find(word) for word in ("orchard", "yellow", "red", "desert")]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), heard


LONG_FIRST = (
    "When the morning train finally pulled into the station, the passengers, who had waited "
    "for hours in the cold, gathered their bags and hurried toward the exits. Then it was quiet."
)


async def test_a_long_first_sentence_starts_with_a_short_piece(
    hub: HubClient, whisper: object
) -> None:
    stream = await hub.open(LONG_FIRST, DEFAULT_VOICE)
    pcm = await collect(stream)
    assert stream.sentences[0] == "When the morning train finally pulled into the station,"
    assert len(stream.sentences) == stream.sentences_done == 3  # head, rest, next sentence
    assert_is_speech(pcm, stream.sample_rate, LONG_FIRST, whisper)


async def test_simple_synthesize_yields_the_speech(hub: HubClient) -> None:
    text = "The simple way works too."
    pcm = b"".join([chunk async for chunk in hub.synthesize(text, DEFAULT_VOICE)])
    assert_is_speech(pcm, 22050, text)


async def test_first_audio_comes_after_one_sentence(hub: HubClient) -> None:
    stream = await hub.open(long_text(12), DEFAULT_VOICE)
    async with stream:
        first = await stream.__anext__()
        assert first
        # Only the in-flight window was sent to the engine, not the whole text.
        assert stream._launched <= hub.settings.max_in_flight < len(stream.sentences)


async def test_speed_changes_duration(hub: HubClient) -> None:
    text = "The quick brown fox jumps over the lazy dog near the river bank."
    normal = await collect(await hub.open(text, DEFAULT_VOICE))
    fast = await collect(await hub.open(text, DEFAULT_VOICE, speed=2.0))
    ratio = len(fast) / len(normal)
    assert 0.35 < ratio < 0.7, ratio


async def test_language_picks_a_voice(hub: HubClient) -> None:
    stream = await hub.open("Hello.", language="en-US")
    assert stream.voice == DEFAULT_VOICE
    await stream.aclose()
    with pytest.raises(VoiceNotFoundError):
        await hub.open("Hallo.", language="de_DE")


async def test_input_errors_are_typed_and_early(hub: HubClient) -> None:
    with pytest.raises(VoiceNotFoundError) as unknown:
        await hub.open("Hello.", "no-such-voice")
    assert DEFAULT_VOICE in unknown.value.available
    assert unknown.value.code is ErrorCode.VOICE_NOT_FOUND
    with pytest.raises(InvalidRequestError, match="empty"):
        await hub.open("  ... !! ", DEFAULT_VOICE)
    with pytest.raises(TextTooLongError):
        await hub.open("word " * 50_000, DEFAULT_VOICE)
    with pytest.raises(InvalidRequestError, match="speed"):
        await hub.open("Hello.", DEFAULT_VOICE, speed=9)
    with pytest.raises(InvalidRequestError, match="speaker"):
        await hub.open("Hello.", DEFAULT_VOICE, speaker="nobody")


async def _raw_request(hub: HubClient, payload: bytes) -> list[tuple[str, bytes]]:
    """Publish a raw request on the bus and collect the reply stream."""
    inbox = hub.nc.new_inbox()
    sub = await hub.nc.subscribe(inbox)
    await hub.nc.publish(hub.subjects.synth("piper"), payload, reply=inbox)
    replies = []
    while True:
        msg = await sub.next_msg(timeout=10)
        kind = msg.headers[KIND_HEADER]
        replies.append((kind, msg.data))
        if kind in ("end", "error"):
            await sub.unsubscribe()
            return replies


def _request(text: str, voice: str = DEFAULT_VOICE) -> bytes:
    request = SynthesisRequest(text=text, voice=voice, deadline=time.time() + 30)
    return request.model_dump_json().encode()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (lambda: b"{not json", ErrorCode.INVALID_REQUEST),
        (lambda: b'{"text": "hi"}', ErrorCode.INVALID_REQUEST),
        (lambda: _request("x" * 6000), ErrorCode.TEXT_TOO_LONG),
        (lambda: _request("Hello.", voice="nobody"), ErrorCode.VOICE_NOT_FOUND),
        (lambda: _request("   "), ErrorCode.INVALID_REQUEST),
    ],
    ids=["malformed", "missing-fields", "too-long", "unknown-voice", "empty"],
)
async def test_engine_rejects_bad_requests_and_keeps_serving(
    hub: HubClient, payload: Callable[[], bytes], code: ErrorCode
) -> None:
    replies = await _raw_request(hub, payload())
    assert [kind for kind, _ in replies] == ["error"]
    error = StreamError.model_validate_json(replies[0][1])
    assert error.code is code and error.message
    good = await _raw_request(hub, _request("Still here."))
    kinds = [kind for kind, _ in good]
    assert kinds[0] == "start" and kinds[-1] == "end" and "chunk" in kinds


async def _counters(hub: HubClient) -> dict[str, int]:
    await hub.discovery.refresh()
    await asyncio.sleep(0.3)
    workers = [w for w in hub.discovery.workers() if w.engine == "piper"]
    return {
        "served": sum(w.served for w in workers),
        "cancelled": sum(w.cancelled for w in workers),
    }


async def test_closing_early_cancels_engine_work(hub: HubClient) -> None:
    before = await _counters(hub)
    stream = await hub.open(long_text(20, words=30), DEFAULT_VOICE)
    await stream.__anext__()
    await stream.aclose()
    await asyncio.sleep(3)  # let the in-flight sentence reach its cancellation point
    after = await _counters(hub)
    served = after["served"] - before["served"]
    cancelled = after["cancelled"] - before["cancelled"]
    assert cancelled >= 1, (before, after)
    assert served + cancelled <= hub.settings.max_in_flight  # nothing past the window ran


async def test_two_workers_share_a_long_text(
    nats_server: NatsServer, start_engine: object, hub: HubClient, whisper: object
) -> None:
    start_engine(nats_server.url)  # type: ignore[operator]
    assert await hub.discovery.wait_for(lambda d: d.workers_of("piper") >= 2, timeout=10)
    client = HubClient(hub.nc, client_settings(nats_server.url, max_in_flight=4))
    await client.start()
    assert await client.discovery.wait_for(lambda d: d.workers_of("piper") >= 2, timeout=10)
    text = story(12)
    stream = await client.open(text, DEFAULT_VOICE)
    pcm = await collect(stream)
    assert len(set(stream.served_by)) == 2, stream.served_by
    assert stream.sentences_done == 12
    assert len(pcm_to_float(pcm)) / stream.sample_rate > 12 * 2
    heard = transcribe(whisper, pcm, stream.sample_rate)
    assert word_error_rate(text, heard) < 0.3, heard
    await client.discovery.stop()


def test_cli_json_listing(nats_server: NatsServer, piper_engine: object) -> None:
    import subprocess
    import sys

    base = [sys.executable, "-m", "hub.cli"]
    voices = subprocess.run(
        [*base, "voices", "--json", "--nats-url", nats_server.url],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = json.loads(voices.stdout)
    assert any(v["name"] == DEFAULT_VOICE and v["engine"] == "piper" for v in listed)
    engines = subprocess.run(
        [*base, "engines", "--json", "--nats-url", nats_server.url],
        capture_output=True,
        text=True,
        check=True,
    )
    workers = json.loads(engines.stdout)
    assert workers and all(w["engine"] == "piper" and w["state"] == "warm" for w in workers)
