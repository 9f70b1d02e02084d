"""A recording stand-in for ``discord.VoiceClient``: discord.py's own ``AudioPlayer`` drives
the source exactly as in a voice channel, and every packet it would send is recorded with
the time it was handed over. Decoding uses discord.py's real Opus decoder (system libopus)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import discord
from discord.opus import OPUS_SILENCE, Decoder
from discord.player import AudioPlayer


class _Socket:
    async def speak(self, state: Any) -> None:
        return None


class RecordingVoice:
    timeout = 1.0

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.client = type("ClientStandIn", (), {"loop": loop})()
        self.ws = _Socket()
        self.packets: list[tuple[float, bytes, bool]] = []
        """(perf_counter, payload, encode flag) of every packet sent."""
        self.player: AudioPlayer | None = None
        self._up = threading.Event()
        self._up.set()
        self.disconnected = False
        self.channel: Any = None
        self._lock = threading.Lock()

    # what AudioPlayer calls (its thread)
    def send_audio_packet(self, data: bytes, *, encode: bool = True) -> None:
        with self._lock:
            self.packets.append((time.perf_counter(), data, encode))

    def wait_until_connected(self, timeout: float | None = None) -> bool:
        return self._up.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    @connected.setter
    def connected(self, value: bool) -> None:
        if value:
            self._up.set()
        else:
            self._up.clear()

    # what the bot calls
    def is_connected(self) -> bool:
        return self.connected

    def is_playing(self) -> bool:
        return self.player is not None and self.player.is_playing()

    def play(self, source: discord.AudioSource, *, after: Any = None) -> None:
        if self.is_playing():
            raise discord.ClientException("Already playing audio.")
        self.player = AudioPlayer(source, self, after=after)  # type: ignore[arg-type]
        self.player.start()

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()

    async def disconnect(self, *, force: bool = False) -> None:
        self.connected = False
        self.disconnected = True

    def speech_packets(self) -> list[tuple[float, bytes]]:
        """The packets that are not the Opus silence frame (nor the closing silence)."""
        return [(t, data) for t, data, _ in self.packets if data != OPUS_SILENCE]


def decode(packets: list[bytes]) -> bytes:
    """48 kHz stereo s16le PCM of Opus packets (one decoder, in order)."""
    decoder = Decoder()
    return b"".join(decoder.decode(packet, fec=False) for packet in packets)


def left_channel(pcm: bytes) -> bytes:
    import numpy as np

    return np.frombuffer(pcm, dtype="<i2")[0::2].tobytes()
