"""A discord.py ``AudioSource`` fed by a hub stream while synthesis runs.

The asyncio side (``pump``) puts 20 ms Opus packets (``OUTPUT``, encoded by the hub's audio
library, so the bot needs no system libopus) into a thread-safe queue; discord.py's player
thread calls ``read()`` every 20 ms. An empty queue is an underrun: ``read()`` returns an Opus
silence frame, never ``b""``, which would end playback. ``b""`` comes only once the stream
ended (or ``stop()`` was called) and every packet was played.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import AsyncIterator

import discord
from discord.opus import OPUS_SILENCE

from hub.audio import AudioSpec

_LOGGER = logging.getLogger(__name__)

OUTPUT = AudioSpec("opus_packets", channels=2, frame_ms=20)
"""What Discord plays: 48 kHz stereo Opus, one 20 ms packet per read()."""

_END = b""


class HubAudioSource(discord.AudioSource):
    """Opus packets from the bus, silence on underrun, end only at the stream's end."""

    def __init__(self) -> None:
        self._packets: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._ended = False
        self.first_audio_at: float | None = None
        """``time.perf_counter()`` when the first real packet was handed to discord.py."""
        self.packets = 0
        self.underruns = 0
        self.error: Exception | None = None
        self.finished_feeding = False
        """True once the stream ended (every packet is in the queue)."""
        self.finished_at: float | None = None
        """``time.perf_counter()`` when the stream ended."""

    def is_opus(self) -> bool:
        return True

    def feed(self, packet: bytes) -> None:
        """Add one packet (any thread)."""
        if packet:
            self._packets.put(packet)

    def finish(self, error: Exception | None = None) -> None:
        """The stream ended (with ``error`` when it failed): play what is left, then end."""
        self.error = self.error or error
        self.finished_feeding = True
        self.finished_at = time.perf_counter()
        self._packets.put(_END)

    def stop(self) -> None:
        """End playback at the next read (skip)."""
        self._stopped.set()

    def read(self) -> bytes:
        if self._stopped.is_set() or self._ended:
            return b""
        try:
            packet = self._packets.get_nowait()
        except queue.Empty:
            self.underruns += 1
            return OPUS_SILENCE
        if packet is _END or not packet:
            self._ended = True
            return b""
        if self.first_audio_at is None:
            self.first_audio_at = time.perf_counter()
        self.packets += 1
        return packet

    def cleanup(self) -> None:
        self._stopped.set()


async def pump(stream: AsyncIterator[bytes], source: HubAudioSource) -> None:
    """Copy the stream into ``source``; always finishes the source, errors included."""
    error: Exception | None = None
    try:
        async for packet in stream:
            source.feed(packet)
    except Exception as failure:  # told to the user by the queue; the source just ends
        _LOGGER.warning("synthesis stream failed: %s", failure)
        error = failure
    finally:
        source.finish(error)
