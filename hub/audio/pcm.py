"""s16le PCM helpers shared by the audio modules: checks, PyAV frames, whole samples.

Canonical hub audio is signed 16-bit little-endian PCM ("s16le"), interleaved when it has
more than one channel, arriving in byte chunks of any size.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from av.audio.frame import AudioFrame

_LOGGER = logging.getLogger(__name__)

SAMPLE_BYTES = 2  # s16
MAX_CHANNELS = 8


def check_rate(rate: int, what: str) -> int:
    if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
        raise ValueError(f"{what} must be a positive integer, got {rate!r}")
    return rate


def check_channels(channels: int, what: str) -> int:
    if not isinstance(channels, int) or not 1 <= channels <= MAX_CHANNELS:
        raise ValueError(f"{what} must be an integer from 1 to {MAX_CHANNELS}, got {channels!r}")
    return channels


def layout_name(channels: int) -> str:
    """ffmpeg's default channel layout for ``channels`` channels (mono, stereo, 2.1, ...)."""
    return av.AudioLayout(f"{channels}c").name


def pcm_frame(pcm: bytes, channels: int, rate: int, pts: int | None = None) -> AudioFrame:
    """Wrap interleaved s16le bytes in a packed s16 AudioFrame stamped at ``pts``."""
    samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
    frame = AudioFrame.from_ndarray(samples, format="s16", layout=layout_name(channels))
    frame.sample_rate = rate
    frame.pts = pts
    frame.time_base = Fraction(1, rate)
    return frame


def silent_frame(like: AudioFrame, samples: int) -> AudioFrame:
    """``samples`` of digital silence in the format, layout and rate of ``like``."""
    frame = AudioFrame(format=like.format.name, layout=like.layout.name, samples=samples)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = like.sample_rate
    frame.time_base = Fraction(1, like.sample_rate)
    return frame


def frame_bytes(frame: AudioFrame) -> bytes:
    """A packed s16 frame as s16le bytes."""
    return frame.to_ndarray().astype("<i2", copy=False).tobytes()


def frames_to_bytes(frames: list[AudioFrame]) -> bytes:
    """Concatenate packed s16 frames as s16le bytes."""
    return b"".join(frame_bytes(frame) for frame in frames)


@dataclass
class SampleAligner:
    """Holds back a trailing partial sample frame so only whole samples go downstream."""

    block_bytes: int
    _pending: bytes = b""

    def take(self, data: bytes) -> bytes:
        if not self._pending and len(data) % self.block_bytes == 0:
            return data  # the common case: no copy
        data = self._pending + bytes(data)
        cut = len(data) - len(data) % self.block_bytes
        self._pending = data[cut:]
        return data[:cut]

    def reset(self) -> None:
        if self._pending:
            _LOGGER.debug("Dropping %d trailing bytes of a partial sample", len(self._pending))
        self._pending = b""


def spread_mono(pcm: bytes, channels: int) -> bytes:
    """Mono s16le copied to every one of ``channels`` channels at full level (ffmpeg's
    rematrixing would put it 3 dB lower on each, as for a centre channel)."""
    return np.repeat(np.frombuffer(pcm, dtype="<i2"), channels).astype("<i2").tobytes()
