"""The remote engine, with our own OpenAI adapter serving Piper as its upstream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from hub.client import HubClient
from hub.contract.errors import EngineUnavailableError
from tests.adapters.openai.support import RunningAdapter, adapter_settings, running_adapter
from tests.conftest import EngineProcess, PrivateBus
from tests.helpers import assert_is_speech, collect, story

KEY = "upstream-secret"


@pytest.fixture(scope="module")
async def upstream(hub: HubClient) -> AsyncIterator[RunningAdapter]:
    async with running_adapter(adapter_settings(api_keys=[KEY]), hub) as running:
        yield running


def start_remote(
    bus: PrivateBus, name: str, base_url: str, key: str, **extra: str
) -> EngineProcess:
    return bus.engine(
        "remote",
        VOICEBUS_ENGINE_NAME=name,
        VOICEBUS_REMOTE_URL=base_url,
        VOICEBUS_REMOTE_API_KEY=key,
        VOICEBUS_REMOTE_VOICES=json.dumps(["alloy", "nova"]),
        VOICEBUS_REMOTE_TIMEOUT="10",
        **extra,
    )


async def test_remote_engine_streams_upstream_speech(
    private_bus: PrivateBus, upstream: RunningAdapter, whisper: object
) -> None:
    engine = start_remote(private_bus, "upstream", upstream.base_url, KEY)
    client = await private_bus.client(default_voice="alloy")
    route = await client.wait_for_voice("nova", engine="upstream")
    assert route.voice.sample_rate == 24000
    text = story(3)
    stream = await client.open(text, "nova", engine="upstream")
    pcm = await collect(stream)
    assert stream.sample_rate == 24000
    assert_is_speech(pcm, 24000, text, whisper)
    assert KEY not in engine.log()  # the secret never reaches the logs


async def test_remote_engine_speaks_the_voicebox_provider_api(
    private_bus: PrivateBus, upstream: RunningAdapter, whisper: object
) -> None:
    start_remote(private_bus, "desktop", upstream.url, KEY, VOICEBUS_REMOTE_API="voicebox")
    client = await private_bus.client()
    await client.wait_for_voice("alloy", engine="desktop")
    text = story(2)
    stream = await client.open(text, "alloy", engine="desktop")
    assert_is_speech(await collect(stream), stream.sample_rate, text, whisper)


@pytest.mark.parametrize(
    ("name", "base_url", "key", "reason"),
    [
        ("wrongkey", None, "not-the-key", "remote_api_key"),
        ("nowhere", "http://127.0.0.1:9/v1", KEY, "cannot reach"),
    ],
)
async def test_upstream_failures_are_typed(
    private_bus: PrivateBus,
    upstream: RunningAdapter,
    name: str,
    base_url: str | None,
    key: str,
    reason: str,
) -> None:
    start_remote(private_bus, name, base_url or upstream.base_url, key)
    client = await private_bus.client()
    await client.wait_for_voice("alloy", engine=name)
    stream = await client.open("This will not work.", "alloy", engine=name)
    with pytest.raises(EngineUnavailableError) as failure:
        await collect(stream)
    assert reason in str(failure.value)


@pytest.mark.parametrize("mode", ["upstream", "stretch"])
async def test_remote_speed_is_proportional(
    private_bus: PrivateBus, upstream: RunningAdapter, mode: str
) -> None:
    """Speed sent upstream (ours honours it), or stretched here for upstreams that ignore it."""
    name = f"speed-{mode}"
    start_remote(private_bus, name, upstream.base_url, KEY, VOICEBUS_REMOTE_SPEED=mode)
    client = await private_bus.client()
    await client.wait_for_voice("alloy", engine=name)
    text = "The quick brown fox jumps over the lazy dog."

    async def seconds(speed: float) -> float:
        stream = await client.open(text, "alloy", engine=name, speed=speed)
        return len(await collect(stream)) / 2 / stream.sample_rate

    normal = await seconds(1.0)
    for speed in (0.5, 2.0):
        assert await seconds(speed) == pytest.approx(normal / speed, rel=0.10), (mode, speed)
