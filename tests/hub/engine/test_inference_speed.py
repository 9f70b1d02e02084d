"""The runner's speed for engines without one of their own: ``pcm_stream`` time-stretches
their audio so that ``speed`` means ``1/speed`` of the duration for every engine."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hub.contract.schemas import EngineCapabilities, SynthesisRequest, VoiceInfo
from hub.engine.inference import pcm_stream

RATE = 24000


class ToneEngine:
    """Two seconds of a tone in 0.1 s chunks, whatever the speed asked (like Chatterbox)."""

    name = "tone"
    version = "1"
    device = "cpu"

    def __init__(self, native_speed: bool) -> None:
        self.capabilities = EngineCapabilities(speed=native_speed)

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(name="tone", sample_rate=RATE)]

    def synthesize(self, request: SynthesisRequest) -> Iterator[bytes]:
        t = np.arange(2 * RATE) / RATE
        pcm = (np.sin(2 * np.pi * 220 * t) * 8000).astype("<i2").tobytes()
        step = RATE // 10 * 2
        for start in range(0, len(pcm), step):
            yield pcm[start : start + step]


async def seconds(engine: ToneEngine, speed: float) -> float:
    request = SynthesisRequest(text="A tone.", voice="tone", speed=speed, deadline=time.time() + 60)
    with ThreadPoolExecutor(1) as executor:
        chunks = [pcm async for pcm in pcm_stream(engine, request, executor, threading.Event())]
    return len(b"".join(chunks)) / 2 / RATE


@pytest.mark.parametrize("speed", [0.25, 0.5, 1.0, 2.0, 4.0])
async def test_an_engine_without_speed_is_stretched_in_proportion(speed: float) -> None:
    assert await seconds(ToneEngine(native_speed=False), speed) == pytest.approx(
        2.0 / speed, rel=0.02
    )


async def test_an_engine_with_its_own_speed_is_left_alone() -> None:
    assert await seconds(ToneEngine(native_speed=True), 2.0) == pytest.approx(2.0, abs=1e-6)
