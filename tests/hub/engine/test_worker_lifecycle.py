"""Workers that die, drain or disappear, and NATS restarting: errors, never hangs."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.client import HubClient
from hub.contract.errors import EngineUnavailableError, VoicebusError
from hub.process.natsserver import NatsServer
from tests.conftest import DEFAULT_VOICE, EngineProcess, PrivateBus, client_settings
from tests.helpers import STORY, assert_is_speech, collect, story

StartEngine = Callable[..., EngineProcess]


async def test_worker_killed_mid_stream_ends_in_an_error(private_bus: PrivateBus) -> None:
    engine = private_bus.engine()
    client = await private_bus.client(
        DEFAULT_VOICE, start_timeout=1.5, idle_timeout=1.5, retries=0, max_in_flight=2
    )
    stream = await client.open(story(24), DEFAULT_VOICE)
    await stream.__anext__()
    engine.send(signal.SIGKILL)
    began = time.monotonic()
    with pytest.raises(VoicebusError) as failure:
        async for _ in stream:
            pass
    assert time.monotonic() - began < 6
    assert failure.value.code.value in ("timeout", "engine_unavailable")


async def test_sigterm_drains_in_flight_sentences(private_bus: PrivateBus) -> None:
    engine = private_bus.engine()
    client = await private_bus.client(DEFAULT_VOICE, max_in_flight=3, start_timeout=1.5)
    stream = await client.open(story(12), DEFAULT_VOICE)
    await stream.__anext__()
    engine.send(signal.SIGTERM)
    with pytest.raises(EngineUnavailableError):
        async for _ in stream:
            pass
    # Everything the worker had accepted was finished before it left.
    assert stream.sentences_done >= 3
    assert engine.process is not None
    assert engine.process.wait(10) == 0


async def test_stopped_and_killed_workers_leave_discovery(private_bus: PrivateBus) -> None:
    first = private_bus.engine(VOICEBUS_HEARTBEAT_SECONDS="0.5")
    second = private_bus.engine(VOICEBUS_HEARTBEAT_SECONDS="0.5")
    client = await private_bus.client(DEFAULT_VOICE)
    assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 2, 10)
    first.send(signal.SIGTERM)  # announces that it is stopping
    assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 1, 5)
    second.send(signal.SIGKILL)  # says nothing: its heartbeats stop
    began = time.monotonic()
    assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 0, 5)
    assert time.monotonic() - began < 3
    assert client.voices() == []


async def test_nats_restart_loses_nothing(
    tmp_path: Path, start_engine: StartEngine, whisper: object
) -> None:
    server = NatsServer(tmp_path / "nats", port=-1)
    server.start()
    try:
        start_engine(server.url)
        settings = client_settings(server.url, start_timeout=2, idle_timeout=2, retries=3)
        client = await HubClient.connect(settings, "test-voicebus")
        try:
            await client.wait_for_voice(DEFAULT_VOICE)
            text = "The server restarted and the voice came back."
            await collect(await client.open(text, DEFAULT_VOICE))
            await asyncio.to_thread(server.restart)
            stream = await client.open(text, DEFAULT_VOICE)
            pcm = await asyncio.wait_for(collect(stream), 30)
            assert_is_speech(pcm, stream.sample_rate, text, whisper)
        finally:
            await client.close()
    finally:
        server.stop()


async def test_a_worker_killed_under_load_loses_and_mixes_nothing(
    private_bus: PrivateBus, whisper: object
) -> None:
    """Six different texts on two workers; one worker is killed mid-way. Every stream ends
    (none hangs), each either whole and its own words (none mixed) or a typed error."""
    doomed = private_bus.engine()
    private_bus.engine()
    client = await private_bus.client(DEFAULT_VOICE, idle_timeout=1.5, max_in_flight=2)
    texts = [" ".join(STORY[i : i + 3]) for i in range(0, 12, 2)]

    async def speak(text: str) -> tuple[str, bytes | VoicebusError]:
        try:
            return text, await collect(await client.open(text, DEFAULT_VOICE))
        except VoicebusError as error:
            return text, error

    tasks = [asyncio.create_task(speak(text)) for text in texts]
    await asyncio.sleep(1.0)
    doomed.send(signal.SIGKILL)
    results = await asyncio.wait_for(asyncio.gather(*tasks), 60)
    whole = [(text, pcm) for text, pcm in results if isinstance(pcm, bytes)]
    assert len(whole) >= 4, results  # sentences not yet heard moved to the other worker
    for text, pcm in whole:
        assert_is_speech(pcm, 22050, text, whisper)
    for _, error in results:
        if not isinstance(error, bytes):
            assert error.code.value in ("timeout", "engine_unavailable"), error
