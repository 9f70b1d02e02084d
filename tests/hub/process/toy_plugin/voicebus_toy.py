"""A tone engine and a line-protocol adapter, as a third-party package would write them."""

from __future__ import annotations

import asyncio
import math
import struct
from collections.abc import Iterator
from typing import ClassVar

from hub.client import HubClient
from hub.contract.schemas import EngineCapabilities, SynthesisRequest, VoiceInfo
from hub.engine.runner import RunnerSettings
from hub.plugins import AdapterPlugin, EnginePlugin
from hub.settings import AdapterSettings

RATE = 16000
SECONDS_PER_WORD = 0.1

ADAPTER = AdapterPlugin(
    name="toy", settings="voicebus_toy:ToySettings", factory="voicebus_toy:ToyAdapter"
)
BROKEN = AdapterPlugin(
    name="broken", settings="voicebus_toy:BrokenSettings", factory="voicebus_toy:BrokenAdapter"
)
ENGINE = EnginePlugin(
    name="tone", settings="voicebus_toy:ToneSettings", factory="voicebus_toy:ToneEngine"
)


class ToneSettings(RunnerSettings):
    pitch: float = 440.0


class ToneEngine:
    """A 440 Hz tone, 0.1 s per word of the text."""

    name = "tone"
    version = "0.1.0"
    capabilities = EngineCapabilities(speed=False)  # the runner stretches it
    device = "cpu"

    def __init__(self, settings: ToneSettings) -> None:
        self.pitch = settings.pitch

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(name="toy-tone", languages=["en"], sample_rate=RATE)]

    def synthesize(self, request: SynthesisRequest) -> Iterator[bytes]:
        samples = int(RATE * SECONDS_PER_WORD * len(request.text.split()))
        wave = (int(8000 * math.sin(2 * math.pi * self.pitch * i / RATE)) for i in range(samples))
        yield struct.pack(f"<{samples}h", *wave)


class ToySettings(AdapterSettings):
    adapter_name: ClassVar[str] = "toy"
    host: str = "127.0.0.1"
    port: int = 0


class ToyAdapter:
    """One line of text in, ``<sample rate> <PCM bytes>`` back."""

    def __init__(self, settings: ToySettings, hub: HubClient) -> None:
        self.settings = settings
        self.hub = hub

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        text = (await reader.readline()).decode().strip()
        stream = await self.hub.open(text, "toy-tone")
        size = 0
        async with stream:
            async for pcm in stream:
                size += len(pcm)
        writer.write(f"{stream.sample_rate} {size}\n".encode())
        await writer.drain()
        writer.close()

    async def serve(self, stop: asyncio.Event) -> None:
        server = await asyncio.start_server(self._answer, self.settings.host, self.settings.port)
        async with server:
            await stop.wait()


class BrokenSettings(AdapterSettings):
    adapter_name: ClassVar[str] = "broken"


class BrokenAdapter:
    def __init__(self, settings: BrokenSettings, hub: HubClient) -> None:
        pass

    async def serve(self, stop: asyncio.Event) -> None:
        raise OSError("the broken adapter cannot start")
