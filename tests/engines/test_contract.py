"""The engine contract, on the real bus, for every engine (Piper in the main environment,
the heavy ones from their own environments): voices announced, speech at the advertised
rate, speed in proportion (1/speed of the duration), cancellation, typed errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest
from nats.aio.client import Client

from hub.bus import connect
from hub.contract.schemas import EngineAnnouncement, ErrorCode, VoiceInfo
from hub.process.natsserver import NatsServer
from hub.store.library import LibrarySettings, VoiceLibrary
from tests.engines.bus import Call, announcement, call, request
from tests.engines.conftest import RunningEngine
from tests.helpers import wav_clip

SENTENCE = "The quick brown fox jumps over the lazy dog."
CONTRACT_VOICE = "contract-voice"


@pytest.fixture(scope="session")
async def bus(nats_server: NatsServer) -> AsyncIterator[Client]:
    nc = await connect(LibrarySettings(nats_url=nats_server.url), "voicebus-contract-tests")
    library = await VoiceLibrary.open(nc)
    if CONTRACT_VOICE not in [meta.name for meta in await library.list()]:
        # 5.5 s: over Turbo's 5 s minimum, short enough to keep Chatterbox's prompt cheap
        await library.add(CONTRACT_VOICE, wav_clip(5.5, seed=7), transcript="A test voice.")
    yield nc
    await nc.drain()


async def worker(nc: Client, engine: RunningEngine) -> EngineAnnouncement:
    return await announcement(nc, engine.name)


async def a_voice(nc: Client, engine: RunningEngine) -> VoiceInfo:
    """A voice of the engine: the cloned test voice for cloning engines (once they see it)."""
    for _ in range(40):
        info = await worker(nc, engine)
        if not info.capabilities.cloning:
            return info.voices[0]
        clones = [voice for voice in info.voices if voice.name == CONTRACT_VOICE]
        if clones:
            return clones[0]
        await asyncio.sleep(0.5)
    raise AssertionError(f"{engine.name} never listed the cloned voice {CONTRACT_VOICE}")


async def test_voices_are_announced(bus: Client, any_engine: RunningEngine) -> None:
    info = await worker(bus, any_engine)
    assert info.voices, "an engine must serve at least one voice"
    for voice in info.voices:
        assert voice.sample_rate > 0 and voice.name
    assert info.device in ("cpu", "cuda")
    if info.capabilities.cloning:
        voice = await a_voice(bus, any_engine)
        assert voice.clones and voice.languages


async def test_speech_at_the_advertised_rate(bus: Client, any_engine: RunningEngine) -> None:
    voice = await a_voice(bus, any_engine)
    reply = await call(bus, any_engine.name, request(SENTENCE, voice.name))
    assert reply.error is None, reply.error
    assert reply.start is not None and reply.end is not None
    assert reply.start.sample_rate == voice.sample_rate
    samples = reply.samples
    assert len(samples) / voice.sample_rate == pytest.approx(reply.end.audio_seconds, rel=1e-3)
    assert np.all(np.isfinite(samples)) and len(samples) > voice.sample_rate // 4
    assert float(np.sqrt(np.mean(samples**2))) > 1e-3, "audio is silent"


async def test_speed_is_proportional(bus: Client, any_engine: RunningEngine) -> None:
    """Every engine, natively or by the runner's time-stretch: 1/speed of the duration."""
    info = await worker(bus, any_engine)
    assert info.capabilities.speed, "every worker honours speed"
    voice = await a_voice(bus, any_engine)
    normal = await call(bus, any_engine.name, request(SENTENCE, voice.name))
    assert normal.error is None, normal.error
    for speed in (0.5, 2.0):
        reply = await call(bus, any_engine.name, request(SENTENCE, voice.name, speed=speed))
        assert reply.error is None, reply.error
        ratio = len(reply.pcm) / len(normal.pcm)
        assert ratio == pytest.approx(1 / speed, rel=0.10), (speed, ratio)


async def test_cancellation(bus: Client, any_engine: RunningEngine) -> None:
    voice = await a_voice(bus, any_engine)
    before = (await worker(bus, any_engine)).cancelled
    long_text = " ".join([SENTENCE] * (30 if any_engine.name == "piper" else 1))
    running = await Call(bus, any_engine.name, request(long_text, voice.name)).send()
    queued = await Call(bus, any_engine.name, request(SENTENCE, voice.name)).send()
    await asyncio.wait_for(asyncio.gather(running.started.wait(), queued.started.wait()), 30)
    await asyncio.sleep(0.3)  # the first one is being synthesised now
    await queued.cancel()
    await running.cancel()
    for reply in (await queued.result(), await running.result()):
        assert reply.error is not None and reply.error.code is ErrorCode.CANCELLED, reply
    # The worker counts both and is free again (an engine that cannot stop mid-sentence
    # finishes it in its thread first); no new synthesis needed to see that.
    for _ in range(240):
        info = await worker(bus, any_engine)
        if info.cancelled >= before + 2 and info.in_flight == 0 and info.queued == 0:
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError(f"worker still busy after the cancel: {info}")
    assert info.state.value == "warm"


async def test_errors_are_typed(bus: Client, any_engine: RunningEngine) -> None:
    voice = await a_voice(bus, any_engine)
    unknown = await call(bus, any_engine.name, request("Hello.", "no-such-voice"))
    assert unknown.error is not None and unknown.error.code is ErrorCode.VOICE_NOT_FOUND
    assert voice.name in (unknown.error.suggestion or "")
    empty = await call(bus, any_engine.name, request(" ... ", voice.name))
    assert empty.error is not None and empty.error.code is ErrorCode.INVALID_REQUEST
    huge = await call(bus, any_engine.name, request("word " * 2000, voice.name))
    assert huge.error is not None and huge.error.code is ErrorCode.TEXT_TOO_LONG
    if voice.languages and voice.clones:
        klingon = await call(bus, any_engine.name, request("Hello.", voice.name, language="tlh"))
        assert klingon.error is not None and klingon.error.code is ErrorCode.INVALID_REQUEST
