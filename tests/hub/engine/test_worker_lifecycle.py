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
from tests.conftest import DEFAULT_VOICE, EngineProcess, client_settings
from tests.helpers import assert_is_speech, collect, story

StartEngine = Callable[..., EngineProcess]


async def _client(url: str, prefix: str, **settings: object) -> HubClient:
    client = await HubClient.connect(
        client_settings(url, subject_prefix=prefix, **settings), f"test-{prefix}"
    )
    await client.wait_for_voice(DEFAULT_VOICE)
    return client


async def test_worker_killed_mid_stream_ends_in_an_error(
    nats_server: NatsServer, start_engine: StartEngine
) -> None:
    engine = start_engine(nats_server.url, VOICEBUS_SUBJECT_PREFIX="kill")
    client = await _client(
        nats_server.url, "kill", start_timeout=1.5, idle_timeout=1.5, retries=0, max_in_flight=2
    )
    try:
        stream = await client.open(story(24), DEFAULT_VOICE)
        await stream.__anext__()
        engine.send(signal.SIGKILL)
        began = time.monotonic()
        with pytest.raises(VoicebusError) as failure:
            async for _ in stream:
                pass
        assert time.monotonic() - began < 6
        assert failure.value.code.value in ("timeout", "engine_unavailable")
    finally:
        await client.close()


async def test_sigterm_drains_in_flight_sentences(
    nats_server: NatsServer, start_engine: StartEngine
) -> None:
    engine = start_engine(nats_server.url, VOICEBUS_SUBJECT_PREFIX="drain")
    client = await _client(nats_server.url, "drain", max_in_flight=3, start_timeout=1.5)
    try:
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
    finally:
        await client.close()


async def test_stopped_and_killed_workers_leave_discovery(
    nats_server: NatsServer, start_engine: StartEngine
) -> None:
    env = {"VOICEBUS_SUBJECT_PREFIX": "gone", "VOICEBUS_HEARTBEAT_SECONDS": "0.5"}
    first = start_engine(nats_server.url, **env)
    second = start_engine(nats_server.url, **env)
    client = await _client(nats_server.url, "gone")
    try:
        assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 2, 10)
        first.send(signal.SIGTERM)  # announces that it is stopping
        assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 1, 5)
        second.send(signal.SIGKILL)  # says nothing: its heartbeats stop
        began = time.monotonic()
        assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 0, 5)
        assert time.monotonic() - began < 3
        assert client.voices() == []
    finally:
        await client.close()


async def test_nats_restart_loses_nothing(
    tmp_path: Path, start_engine: StartEngine, whisper: object
) -> None:
    server = NatsServer(tmp_path / "nats", port=-1)
    server.start()
    try:
        start_engine(server.url)
        client = await _client(server.url, "voicebus", start_timeout=2, idle_timeout=2, retries=3)
        try:
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
