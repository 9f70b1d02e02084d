"""OpenAI adapter: audio streams while it is made, SSE events, and hang-ups cancel work."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import time
from pathlib import Path

import httpx2
import pytest

from hub.audio import decode_to_pcm
from hub.client import HubClient
from tests.adapters.openai.support import (
    RunningAdapter,
    adapter_settings,
    running_adapter,
    sentences,
)
from tests.conftest import DEFAULT_VOICE, PrivateBus
from tests.helpers import assert_is_speech

LONG = sentences(8)


async def test_first_bytes_leave_before_synthesis_ends(openai_server: RunningAdapter) -> None:
    client = openai_server.async_client()
    started = time.perf_counter()
    arrivals: list[float] = []
    audio = bytearray()
    async with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=LONG, response_format="mp3"
    ) as response:
        assert response.headers["transfer-encoding"] == "chunked"
        assert response.headers["x-voicebus-sentences"] == "8"
        async for chunk in response.iter_bytes():
            arrivals.append(time.perf_counter() - started)
            audio += chunk
    first, total = arrivals[0], arrivals[-1]
    # The first sentence is about an eighth of the work: its bytes come long before the end,
    # and audio keeps arriving afterwards (the engine was still working on the rest).
    assert first < 0.5 * total, (first, total)
    later = [at for at in arrivals if at > first + 0.25 * (total - first)]
    assert len(later) >= 3, arrivals
    pcm, rate, _ = decode_to_pcm(bytes(audio), "mp3")
    assert_is_speech(pcm, rate, LONG)


async def test_sync_sdk_streams_to_a_file(openai_server: RunningAdapter, tmp_path: Path) -> None:
    client = openai_server.client()
    path = tmp_path / "speech.opus"

    def stream() -> None:
        with client.audio.speech.with_streaming_response.create(
            model="tts-1-hd", voice="echo", input=sentences(3), response_format="opus"
        ) as response:
            response.stream_to_file(path)

    await asyncio.to_thread(stream)
    pcm, rate, _ = decode_to_pcm(path.read_bytes(), "opus")
    assert rate == 48000
    assert_is_speech(pcm, rate, sentences(3))


async def test_sse_events_carry_the_audio(openai_server: RunningAdapter) -> None:
    client = openai_server.async_client()
    text = sentences(3)
    events = []
    async with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts",
        voice="coral",
        input=text,
        response_format="mp3",
        stream_format="sse",
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.iter_lines():
            if line:
                assert line.startswith("data: "), line
                events.append(json.loads(line.removeprefix("data: ")))
    kinds = [event["type"] for event in events]
    assert kinds[-1] == "speech.audio.done"
    assert set(kinds[:-1]) == {"speech.audio.delta"} and len(kinds) > 3
    usage = events[-1]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    audio = b"".join(base64.b64decode(event["audio"]) for event in events[:-1])
    pcm, rate, _ = decode_to_pcm(audio, "mp3")
    assert_is_speech(pcm, rate, text)


async def test_hang_up_cancels_engine_work(openai_server: RunningAdapter, hub: HubClient) -> None:
    before = await _cancelled(hub)
    client = openai_server.async_client()
    async with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=sentences(30), response_format="pcm"
    ) as response:
        async for chunk in response.iter_bytes():
            assert chunk
            break  # hang up after the first bytes
    deadline = time.monotonic() + 10
    while (after := await _cancelled(hub)) <= before and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert after > before, "the engine never heard that the client went away"
    assert 'stage="disconnect"' in openai_server.metrics()


async def _cancelled(hub: HubClient) -> int:
    """Requests cancelled by clients, summed over the engine's workers (fresh numbers)."""
    await hub.discovery.refresh()
    await asyncio.sleep(0.2)
    return sum(worker.cancelled for worker in hub.discovery.workers())


async def test_failure_after_the_first_byte_is_not_silent(private_bus: PrivateBus) -> None:
    """An engine dying mid-answer cuts the raw body short and ends SSE with an error event."""
    engine = private_bus.engine(VOICEBUS_THREADS="1")
    hub = await private_bus.client(
        DEFAULT_VOICE,
        idle_timeout=2.5,  # above the engine's 1 s keepalive: only a dead worker is silent
        start_timeout=2.5,
        retries=0,
    )
    async with running_adapter(adapter_settings(subject_prefix=private_bus.prefix), hub) as server:
        async with server.http() as http:
            request = {"model": "tts-1", "voice": "alloy", "input": sentences(30)}
            raw = http.stream("POST", "/v1/audio/speech", json=request | {"response_format": "pcm"})
            sse = http.stream("POST", "/v1/audio/speech", json=request | {"stream_format": "sse"})
            async with raw as raw_response, sse as sse_response:
                raw_bytes = raw_response.aiter_bytes()
                sse_lines = sse_response.aiter_lines()
                assert await anext(raw_bytes)
                assert (await anext(sse_lines)).startswith("data: ")
                engine.send(signal.SIGKILL)
                with pytest.raises(httpx2.RemoteProtocolError):
                    async for _ in raw_bytes:
                        pass
                events = [
                    json.loads(line.removeprefix("data: "))
                    async for line in sse_lines
                    if line.startswith("data: ")
                ]
        assert events[-1]["type"] == "error"
        assert events[-1]["error"]["code"] == "timeout"
        assert all(event["type"] != "speech.audio.done" for event in events)
        assert 'voicebus_openai_errors_total{code="timeout",stage="stream"} 2.0' in server.metrics()
