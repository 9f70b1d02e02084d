"""A stateful s16le resampler and channel mapper for one stream, on PyAV's AudioResampler.

Stereo to mono is ffmpeg's rematrixing (it averages); mono to more channels is copied to
each at full level (ffmpeg would put it 3 dB lower, as for a centre channel).
"""

from __future__ import annotations

import av

from hub.audio.pcm import (
    SAMPLE_BYTES,
    SampleAligner,
    check_channels,
    check_rate,
    frames_to_bytes,
    layout_name,
    pcm_frame,
    spread_mono,
)


class Resampler:
    """Stateful s16le resampler/channel mapper for one stream (keep one per stream).

    ``convert`` accepts chunks of any length and returns the converted samples that are
    ready; the filter keeps a few samples of history, which ``flush`` releases at the end of
    the stream. After ``flush`` the instance can be reused for a new stream. When rate and
    channel count are unchanged, ``convert`` returns its input untouched.
    """

    def __init__(
        self, src_rate: int, dst_rate: int, src_channels: int = 1, dst_channels: int = 1
    ) -> None:
        self.src_rate = check_rate(src_rate, "src_rate")
        self.dst_rate = check_rate(dst_rate, "dst_rate")
        self.src_channels = check_channels(src_channels, "src_channels")
        self.dst_channels = check_channels(dst_channels, "dst_channels")
        self._aligner = SampleAligner(SAMPLE_BYTES * src_channels)
        self._av: av.AudioResampler | None = None
        self._pts = 0

    @property
    def passthrough(self) -> bool:
        """True when input and output formats are identical."""
        return self.src_rate == self.dst_rate and self.src_channels == self.dst_channels

    def convert(self, pcm: bytes) -> bytes:
        """Convert a chunk; returns the output samples that are ready (maybe ``b""``)."""
        pcm = self._aligner.take(pcm)
        if self.passthrough or not pcm:
            return pcm
        if self._av is None:
            self._av = av.AudioResampler(
                format="s16", layout=layout_name(self.dst_channels), rate=self.dst_rate
            )
        channels = self.src_channels
        if channels == 1 < self.dst_channels:
            pcm, channels = spread_mono(pcm, self.dst_channels), self.dst_channels
        frame = pcm_frame(pcm, channels, self.src_rate, self._pts)
        self._pts += frame.samples
        return frames_to_bytes(self._av.resample(frame))

    def flush(self) -> bytes:
        """Return the samples still held by the filter and reset for a new stream."""
        self._aligner.reset()
        if self._av is None:
            return b""
        tail = frames_to_bytes(self._av.resample(None))
        self._av = None
        self._pts = 0
        return tail
