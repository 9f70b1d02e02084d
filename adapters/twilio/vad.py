"""Caller speech on the inbound track: an energy detector with hysteresis.

Each 20 ms mu-law frame is decoded (G.711, by the hub's audio library) and its level taken in
dBFS. The noise floor is a low percentile of the last second's levels, so it follows steady
line noise of any level within that second (and a dropped frame or two of silence do not pull
it down). Speech starts after ``start_frames`` frames in a row above both ``start_db`` and
the floor plus a margin, and ends after ``stop_frames`` frames that are not: also when a
sound that started it goes on so steadily that it becomes the floor (so nothing latches).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from hub.audio.decode import mulaw_to_pcm


def level_db(data: bytes) -> float:
    """Level of a mu-law frame in dBFS (-100 for digital silence)."""
    if not data:
        return -100.0
    samples = np.frombuffer(mulaw_to_pcm(data), dtype="<i2").astype(np.float64) / 32768.0
    rms = float(np.sqrt(np.mean(samples**2)))
    return 20.0 * float(np.log10(rms)) if rms > 1e-5 else -100.0


class SpeechDetector:
    """Feed inbound frames; :meth:`feed` returns True on the frame where speech starts."""

    NOISE_MARGIN_DB = 10.0
    """How far over the noise floor a frame must be to count as speech."""
    FLOOR_FRAMES = 50
    """The floor is taken over the last second of frames..."""
    FLOOR_PERCENTILE = 10.0
    """...as this percentile of their levels (robust to a few dropped frames)."""
    START_FLOOR_DB = -70.0
    """The floor before any frame was heard."""

    def __init__(self, start_db: float = -35.0, start_frames: int = 3, stop_frames: int = 15):
        self.start_db = start_db
        self.start_frames = start_frames
        self.stop_frames = stop_frames
        self.speaking = False
        self._levels: deque[float] = deque(maxlen=self.FLOOR_FRAMES)
        self._loud = 0
        self._quiet = 0

    @property
    def noise_db(self) -> float:
        """The tracked noise floor in dBFS."""
        if not self._levels:
            return self.START_FLOOR_DB
        return float(np.percentile(self._levels, self.FLOOR_PERCENTILE))

    def feed(self, frame: bytes) -> bool:
        level = level_db(frame)
        loud = level > max(self.start_db, self.noise_db + self.NOISE_MARGIN_DB)
        self._levels.append(level)
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
