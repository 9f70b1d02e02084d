"""Caller speech on the inbound track: an energy detector with hysteresis.

Each 20 ms mu-law frame is decoded (G.711) and its level taken in dBFS. Speech starts after
``start_frames`` frames in a row above both ``start_db`` and the tracked noise floor plus a
margin (so steady line noise never triggers it), and ends after ``stop_frames`` quiet ones.
"""

from __future__ import annotations

import numpy as np


def _mulaw_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


_MULAW = _mulaw_table()


def mulaw_to_pcm(data: bytes) -> bytes:
    """G.711 mu-law bytes to s16le PCM at the same rate."""
    return _MULAW[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()


def level_db(data: bytes) -> float:
    """Level of a mu-law frame in dBFS (-100 for digital silence)."""
    if not data:
        return -100.0
    samples = _MULAW[np.frombuffer(data, dtype=np.uint8)].astype(np.float64) / 32768.0
    rms = float(np.sqrt(np.mean(samples**2)))
    return 20.0 * float(np.log10(rms)) if rms > 1e-5 else -100.0


class SpeechDetector:
    """Feed inbound frames; :meth:`feed` returns True on the frame where speech starts."""

    NOISE_MARGIN_DB = 12.0

    def __init__(self, start_db: float = -35.0, start_frames: int = 3, stop_frames: int = 15):
        self.start_db = start_db
        self.start_frames = start_frames
        self.stop_frames = stop_frames
        self.speaking = False
        self._noise_db = -70.0
        self._loud = 0
        self._quiet = 0

    def feed(self, frame: bytes) -> bool:
        level = level_db(frame)
        loud = level > max(self.start_db, self._noise_db + self.NOISE_MARGIN_DB)
        if not loud:
            # The floor follows quiet frames slowly, and never learns from speech.
            self._noise_db += 0.05 * (level - self._noise_db)
        if self.speaking:
            self._quiet = 0 if loud else self._quiet + 1
            if self._quiet >= self.stop_frames:
                self.speaking, self._loud = False, 0
            return False
        self._loud = self._loud + 1 if loud else 0
        if self._loud >= self.start_frames:
            self.speaking, self._quiet = True, 0
            return True
        return False
