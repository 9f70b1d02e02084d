"""Unload, load, keep-warm and idle unload of a real Piper worker over the bus."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from hub.client import HubClient
from hub.contract.errors import EngineUnavailableError
from hub.contract.schemas import EngineState
from hub.process.natsserver import NatsServer
from tests.conftest import DEFAULT_VOICE, client_settings
from tests.helpers import assert_is_speech, collect


def voicebus(prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOICEBUS_SUBJECT_PREFIX": prefix}
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


async def _state(client: HubClient) -> EngineState:
    (worker,) = await client.refresh()
    return worker.state


async def test_unload_load_round_trip(nats_server: NatsServer, start_engine: object) -> None:
    prefix = "control"
    start_engine(nats_server.url, VOICEBUS_SUBJECT_PREFIX=prefix)  # type: ignore[operator]
    settings = client_settings(nats_server.url, subject_prefix=prefix, start_timeout=1)
    client = await HubClient.connect(settings, "test-control")
    env_args = ["--nats-url", nats_server.url]
    try:
        await client.wait_for_voice(DEFAULT_VOICE)
        unloaded = await asyncio.to_thread(
            voicebus, prefix, "engines", *env_args, "unload", "piper"
        )
        assert unloaded.returncode == 0, unloaded.stderr
        assert "is unloaded" in unloaded.stdout
        assert await _state(client) is EngineState.UNLOADED
        # Paused by command: no route, requests are refused so clients can fall back.
        assert client.voices() == []
        loaded = await asyncio.to_thread(voicebus, prefix, "engines", *env_args, "load", "piper")
        assert loaded.returncode == 0 and "is warm" in loaded.stdout, loaded.stderr
        assert await _state(client) is EngineState.WARM
        text = "The model is back."
        stream = await client.open(text, DEFAULT_VOICE)
        assert_is_speech(await collect(stream), stream.sample_rate, text)
    finally:
        await client.close()


async def test_idle_unload_then_load_on_demand(
    nats_server: NatsServer, start_engine: object
) -> None:
    prefix = "idle"
    start_engine(  # type: ignore[operator]
        nats_server.url, VOICEBUS_SUBJECT_PREFIX=prefix, VOICEBUS_IDLE_UNLOAD_SECONDS="1"
    )
    client = await HubClient.connect(
        client_settings(nats_server.url, subject_prefix=prefix), "test-idle"
    )
    try:
        await client.wait_for_voice(DEFAULT_VOICE)
        await asyncio.sleep(2.5)
        assert await _state(client) is EngineState.UNLOADED
        # Idle unload keeps the voice routable: the next request loads the model again.
        text = "Loaded again on demand."
        stream = await client.open(text, DEFAULT_VOICE)
        assert_is_speech(await collect(stream), stream.sample_rate, text)
        assert await _state(client) is EngineState.WARM
    finally:
        await client.close()


async def test_paused_engine_refuses_requests(
    nats_server: NatsServer, start_engine: object
) -> None:
    from hub.client.listing import control
    from hub.contract.schemas import ControlAction, ControlCommand

    prefix = "paused"
    start_engine(nats_server.url, VOICEBUS_SUBJECT_PREFIX=prefix)  # type: ignore[operator]
    settings = client_settings(nats_server.url, subject_prefix=prefix, start_timeout=1)
    client = await HubClient.connect(settings, "test-paused")
    try:
        await client.wait_for_voice(DEFAULT_VOICE)
        stream = await client.open("Before the pause.", DEFAULT_VOICE)
        answers = await control(settings, "piper", ControlCommand(action=ControlAction.UNLOAD))
        assert [a.state for a in answers] == [EngineState.UNLOADED]  # type: ignore[union-attr]
        try:
            await collect(stream)
        except EngineUnavailableError as error:
            assert "unloaded" in error.message
    finally:
        await client.close()


async def test_full_queue_answers_engine_overloaded(
    nats_server: NatsServer, start_engine: object
) -> None:
    from hub.contract.errors import EngineOverloadedError
    from tests.helpers import story

    prefix = "overload"
    start_engine(  # type: ignore[operator]
        nats_server.url, VOICEBUS_SUBJECT_PREFIX=prefix, VOICEBUS_MAX_QUEUE="1"
    )
    settings = client_settings(nats_server.url, subject_prefix=prefix, max_in_flight=4)
    client = await HubClient.connect(settings, "test-overload")
    try:
        await client.wait_for_voice(DEFAULT_VOICE)
        streams = [await client.open(story(4), DEFAULT_VOICE) for _ in range(3)]
        results = await asyncio.gather(*(collect(s) for s in streams), return_exceptions=True)
        overloaded = [r for r in results if isinstance(r, EngineOverloadedError)]
        assert overloaded, results
        assert "queued" in overloaded[0].message
        # Nothing hangs and the worker keeps serving once the queue drains.
        text = "Room again."
        stream = await client.open(text, DEFAULT_VOICE)
        assert_is_speech(await collect(stream), stream.sample_rate, text)
    finally:
        await client.close()
