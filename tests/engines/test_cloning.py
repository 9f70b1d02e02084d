"""Cloning engines end to end: a clip uploaded to the voice library becomes a voice that the
hub client synthesises through the bus, with the length the generated tokens imply."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest

from hub.client import ClientSettings, HubClient
from hub.client.discovery import VoiceRoute
from hub.contract.errors import InvalidRequestError, TextTooLongError, VoiceNotFoundError
from hub.process.natsserver import NatsServer
from hub.store.library import VoiceLibrary
from tests.engines.bus import call, request
from tests.engines.conftest import RunningEngine
from tests.helpers import collect, wav_clip

TEXT = "Hello from the voice library."
RATE = 24000
# Output samples per decoded speech token.
SAMPLES_PER_TOKEN = {
    "xtts": 1024 * 24000 / 22050,
    "chatterbox": 960,
    "chatterbox-turbo": 960,
}
HEAVY_FIXTURES = ["xtts_engine", "chatterbox_engine", "chatterbox_turbo_engine"]


@pytest.fixture(params=HEAVY_FIXTURES)
def heavy(request: pytest.FixtureRequest) -> RunningEngine:
    engine: RunningEngine = request.getfixturevalue(request.param)
    return engine


@pytest.fixture(scope="session")
async def hub_client(nats_server: NatsServer) -> AsyncIterator[HubClient]:
    settings = ClientSettings(nats_url=nats_server.url, idle_timeout=30.0, start_timeout=10.0)
    client = await HubClient.connect(settings, "voicebus-cloning-tests")
    yield client
    await client.close()


async def add_voice(hub: HubClient, name: str, seconds: float, seed: int) -> None:
    library = await VoiceLibrary.open(hub.nc)
    if name not in [meta.name for meta in await library.list()]:
        await library.add(name, wav_clip(seconds, seed=seed), language="en")


async def wait_route(hub: HubClient, voice: str, engine: str, timeout: float = 20.0) -> VoiceRoute:
    """The engine lists a new library voice within its refresh period plus one heartbeat."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await hub.wait_for_voice(voice, engine=engine)
        except VoiceNotFoundError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)


async def speak(hub: HubClient, engine: RunningEngine, voice: str, **options: object) -> bytes:
    stream = await hub.open(TEXT, voice, engine=engine.name, **options)  # type: ignore[arg-type]
    pcm = await collect(stream)
    assert stream.sample_rate == RATE
    return pcm


def assert_audible(pcm: bytes) -> np.ndarray:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    assert len(samples) > 0 and np.all(np.isfinite(samples))
    assert float(np.sqrt(np.mean(samples**2))) > 1e-3, "audio is silent"
    return samples


async def test_clone_from_the_library(hub_client: HubClient, heavy: RunningEngine) -> None:
    voice = f"clone-{heavy.name}"
    await add_voice(hub_client, voice, 5.5, seed=3)
    await wait_route(hub_client, voice, heavy.name)
    before = len(heavy.tokens())
    first = await speak(hub_client, heavy, voice)
    samples = assert_audible(first)
    tokens = heavy.tokens()[before:]
    assert len(tokens) == 1, tokens
    expected = tokens[0] * SAMPLES_PER_TOKEN[heavy.name]
    assert abs(len(samples) - expected) <= 0.02 * expected + 2048, (len(samples), tokens)
    if heavy.tiny:  # random weights never stop early: the harness cap decides the length
        assert tokens[0] <= 40
    again = await speak(hub_client, heavy, voice)
    assert again == first, "same seed, same request: the audio must be identical"


async def test_xtts_speed_and_studio_speakers(
    hub_client: HubClient, xtts_engine: RunningEngine
) -> None:
    voice = "clone-xtts"
    await add_voice(hub_client, voice, 5.5, seed=3)
    await wait_route(hub_client, voice, "xtts")
    before = len(xtts_engine.tokens())
    fast = assert_audible(await speak(hub_client, xtts_engine, voice, speed=2.0))
    (tokens,) = xtts_engine.tokens()[before:]
    expected = tokens * SAMPLES_PER_TOKEN["xtts"] / 2
    assert abs(len(fast) - expected) <= 0.03 * expected + 2048
    route = await wait_route(hub_client, "xtts-studio", "xtts")
    if xtts_engine.tiny:
        assert route.voice.speakers == ["Test Speaker"]
    studio = await speak(hub_client, xtts_engine, "xtts-studio", speaker=route.voice.speakers[0])
    assert_audible(studio)
    with pytest.raises(InvalidRequestError, match="no speaker"):
        await hub_client.open(TEXT, "xtts-studio", speaker="Nobody", engine="xtts")


async def test_xtts_limits_are_typed(hub_client: HubClient, xtts_engine: RunningEngine) -> None:
    await wait_route(hub_client, "clone-xtts", "xtts")
    long = await call(hub_client.nc, "xtts", request("word " * 150, "clone-xtts"))
    assert long.error is not None and long.error.code == TextTooLongError.code
    assert "tokens" in long.error.message


async def test_turbo_needs_more_than_five_seconds(
    hub_client: HubClient, chatterbox_turbo_engine: RunningEngine
) -> None:
    await add_voice(hub_client, "short-clip", 4.0, seed=5)
    await wait_route(hub_client, "short-clip", "chatterbox-turbo")
    reply = await call(hub_client.nc, "chatterbox-turbo", request(TEXT, "short-clip"))
    assert reply.error is not None and reply.error.code == InvalidRequestError.code
    assert "longer than 5" in reply.error.message
