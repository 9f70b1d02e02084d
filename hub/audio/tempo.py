"""Time-stretching mono s16le PCM without changing its pitch: ffmpeg's ``atempo`` filter.

``TimeStretcher(rate, speed)`` plays ``speed`` times as fast (2.0: half the duration), exactly
in proportion, streaming: ``stretch`` takes chunks of any size and returns what is ready,
``flush`` the rest. One per stream. atempo takes 0.5 to 2.0 per stage; other speeds chain
stages (0.25 = 0.5 x 0.5).
"""

from __future__ import annotations

from fractions import Fraction

import av

from hub.audio.pcm import frames_to_bytes, pcm_frame

_STAGE_MIN, _STAGE_MAX = 0.5, 2.0


def tempo_stages(speed: float) -> list[float]:
    """atempo factors whose product is ``speed``, each within 0.5 to 2.0."""
    if speed <= 0:
        raise ValueError(f"speed must be positive, got {speed}")
    stages = []
    while speed < _STAGE_MIN:
        stages.append(_STAGE_MIN)
        speed /= _STAGE_MIN
    while speed > _STAGE_MAX:
        stages.append(_STAGE_MAX)
        speed /= _STAGE_MAX
    return [*stages, speed]


class TimeStretcher:
    def __init__(self, rate: int, speed: float) -> None:
        self.rate = rate
        self._graph = av.filter.Graph()
        self._source = self._graph.add_abuffer(
            format="s16", sample_rate=rate, layout="mono", time_base=Fraction(1, rate)
        )
        node = self._source
        for stage in tempo_stages(speed):
            tempo = self._graph.add("atempo", f"{stage:.6f}")
            node.link_to(tempo)
            node = tempo
        self._sink = self._graph.add("abuffersink")
        node.link_to(self._sink)
        self._graph.configure()
        self._pts = 0
        self._pending = b""

    def stretch(self, pcm: bytes) -> bytes:
        data = self._pending + pcm
        whole = len(data) - len(data) % 2
        self._pending = data[whole:]
        if not whole:
            return b""
        frame = pcm_frame(data[:whole], 1, self.rate, self._pts)
        self._pts += frame.samples
        self._source.push(frame)
        return self._drain()

    def flush(self) -> bytes:
        self._source.push(None)
        return self._drain()

    def _drain(self) -> bytes:
        frames = []
        while True:
            try:
                frames.append(self._sink.pull())
            except (av.BlockingIOError, av.EOFError):
                return frames_to_bytes(frames)
