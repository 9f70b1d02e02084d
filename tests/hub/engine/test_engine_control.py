"""Unload, load, keep-warm and idle unload of a real Piper worker over the bus."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from hub.client import HubClient
from hub.contract.errors import EngineUnavailableError
from hub.contract.schemas import EngineState
from tests.conftest import DEFAULT_VOICE, PrivateBus
from tests.helpers import assert_is_speech, collect


def voicebus(bus: PrivateBus, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=bus.env(),
    )


async def _state(client: HubClient) -> EngineState:
    (worker,) = await client.refresh()
    return worker.state


async def test_unload_load_round_trip(private_bus: PrivateBus) -> None:
    private_bus.engine()
    client = await private_bus.client(DEFAULT_VOICE, start_timeout=1)
    env_args = ["--nats-url", private_bus.url]
    unloaded = await asyncio.to_thread(
        voicebus, private_bus, "engines", *env_args, "unload", "piper"
    )
    assert unloaded.returncode == 0, unloaded.stderr
    assert "is unloaded" in unloaded.stdout
    assert await _state(client) is EngineState.UNLOADED
    # Paused by command: no route, requests are refused so clients can fall back.
    assert client.voices() == []
    loaded = await asyncio.to_thread(voicebus, private_bus, "engines", *env_args, "load", "piper")
    assert loaded.returncode == 0 and "is warm" in loaded.stdout, loaded.stderr
    assert await _state(client) is EngineState.WARM
    text = "The model is back."
    stream = await client.open(text, DEFAULT_VOICE)
    assert_is_speech(await collect(stream), stream.sample_rate, text)


async def test_idle_unload_then_load_on_demand(private_bus: PrivateBus) -> None:
    private_bus.engine(VOICEBUS_IDLE_UNLOAD_SECONDS="1")
    client = await private_bus.client(DEFAULT_VOICE)
    await asyncio.sleep(2.5)
    assert await _state(client) is EngineState.UNLOADED
    # Idle unload keeps the voice routable: the next request loads the model again.
    text = "Loaded again on demand."
    stream = await client.open(text, DEFAULT_VOICE)
    assert_is_speech(await collect(stream), stream.sample_rate, text)
    assert await _state(client) is EngineState.WARM


async def test_paused_engine_refuses_requests(private_bus: PrivateBus) -> None:
    from hub.client.listing import control
    from hub.contract.schemas import ControlAction, ControlCommand

    private_bus.engine()
    settings = private_bus.settings(start_timeout=1)
    client = await private_bus.client(DEFAULT_VOICE, start_timeout=1)
    stream = await client.open("Before the pause.", DEFAULT_VOICE)
    answers = await control(settings, "piper", ControlCommand(action=ControlAction.UNLOAD))
    assert [a.state for a in answers] == [EngineState.UNLOADED]  # type: ignore[union-attr]
    try:
        await collect(stream)
    except EngineUnavailableError as error:
        assert "unloaded" in error.message


async def test_full_queue_answers_engine_overloaded(private_bus: PrivateBus) -> None:
    from hub.contract.errors import EngineOverloadedError
    from tests.helpers import story

    private_bus.engine(VOICEBUS_MAX_QUEUE="1")
    client = await private_bus.client(DEFAULT_VOICE, max_in_flight=4)
    streams = [await client.open(story(4), DEFAULT_VOICE) for _ in range(3)]
    results = await asyncio.gather(*(collect(s) for s in streams), return_exceptions=True)
    overloaded = [r for r in results if isinstance(r, EngineOverloadedError)]
    assert overloaded, results
    assert "queued" in overloaded[0].message
    # Nothing hangs and the worker keeps serving once the queue drains.
    text = "Room again."
    stream = await client.open(text, DEFAULT_VOICE)
    assert_is_speech(await collect(stream), stream.sample_rate, text)
