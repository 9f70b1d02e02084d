"""One stream's conversion: canonical PCM (at any rate) in, chunks in the client's format out.

Keep one :class:`AudioConverter` per stream. Each ``convert(pcm, rate)`` returns the chunks
that are ready. The pipeline is PyAV throughout: an ``AudioResampler`` per input rate
(a fallback voice may have another rate; its resampler's tail is flushed when the rate
changes) converts rate, layout and sample format; an ``AudioFifo`` cuts exact frames when
the spec or the codec needs them; a sink encodes (see :mod:`hub.audio.codecs`).
"""

from __future__ import annotations

import av
from av.audio.frame import AudioFrame

from hub.audio.codecs import PcmSink, open_sink
from hub.audio.pcm import (
    SAMPLE_BYTES,
    SampleAligner,
    check_channels,
    check_rate,
    layout_name,
    pcm_frame,
    silent_frame,
    spread_mono,
)
from hub.audio.spec import AudioSpec, OutputFormat


class AudioConverter:
    """Per-stream conversion to an :class:`OutputFormat` (not thread-safe; one caller)."""

    def __init__(self, output: OutputFormat, input_channels: int = 1) -> None:
        self.output = output
        self._channels = check_channels(input_channels, "input_channels")
        self._sink = open_sink(output)
        self._frame_samples = output.frame_samples or self._sink.frame_size
        self._fifo = av.AudioFifo() if self._frame_samples else None
        self._aligner = SampleAligner(SAMPLE_BYTES * input_channels)
        self._resampler: av.AudioResampler | None = None
        self._rate: int | None = None
        self._pts = 0
        self._template: AudioFrame | None = None
        self._done = False
        self.samples_out = 0
        """Samples per channel handed to the encoder so far (padding included)."""

    @classmethod
    def for_spec(cls, spec: AudioSpec, native_rate: int, input_channels: int = 1) -> AudioConverter:
        return cls(spec.resolve(native_rate), input_channels)

    @property
    def done(self) -> bool:
        """True once flushed or closed."""
        return self._done

    @property
    def seconds(self) -> float:
        """Audio time of the output so far."""
        return self.samples_out / self.output.rate

    def convert(self, pcm: bytes, rate: int) -> list[bytes]:
        """Feed s16le PCM at ``rate``; returns the output chunks ready so far (maybe none)."""
        if self._done:
            raise RuntimeError("AudioConverter.convert() after flush() or close()")
        pcm = self._aligner.take(pcm)
        if not pcm:
            return []
        out: list[bytes] = []
        if rate != self._rate:
            out = self._drain_resampler()
            self._rate, self._pts = check_rate(rate, "rate"), 0
        if self._passthrough(rate):
            self.samples_out += len(pcm) // (SAMPLE_BYTES * self._channels)
            return [*out, pcm]
        if self._resampler is None:
            self._resampler = av.AudioResampler(
                format=self._sink.format,
                layout=layout_name(self.output.channels),
                rate=self.output.rate,
            )
        channels = self._channels
        if channels == 1 < self.output.channels:
            pcm, channels = spread_mono(pcm, self.output.channels), self.output.channels
        frame = pcm_frame(pcm, channels, rate, self._pts)
        self._pts += frame.samples
        return out + self._feed(self._resampler.resample(frame))

    def flush(self) -> list[bytes]:
        """End of stream: the held samples, the last frame padded, the trailer."""
        if self._done:
            return []
        out = self._drain_resampler()
        self._aligner.reset()
        if self._fifo is not None and self._fifo.samples:
            out += self._emit(self._last_frame())
        self._done = True
        return out + self._sink.finish()

    def close(self) -> None:
        """Abandon the stream (the client went away), discarding pending output."""
        if not self._done:
            self._done = True
            self._sink.close()

    def _passthrough(self, rate: int) -> bool:
        return (
            self._resampler is None
            and self._fifo is None
            and isinstance(self._sink, PcmSink)
            and rate == self.output.rate
            and self._channels == self.output.channels
        )

    def _drain_resampler(self) -> list[bytes]:
        if self._resampler is None:
            return []
        frames = self._resampler.resample(None)
        self._resampler = None
        return self._feed(frames)

    def _feed(self, frames: list[AudioFrame]) -> list[bytes]:
        if self._fifo is None:
            return [data for frame in frames for data in self._emit(frame)]
        out: list[bytes] = []
        for frame in frames:
            frame.pts = None  # the fifo checks continuity; the sink stamps its own pts
            self._template = frame
            self._fifo.write(frame)
            while self._fifo.samples >= (size := self._frame_samples or 0):
                out += self._emit(self._fifo.read(size))
        return out

    def _last_frame(self) -> AudioFrame:
        assert self._fifo is not None and self._template is not None
        missing = (self._frame_samples or 0) - self._fifo.samples
        if self.output.frame_samples is not None and self.output.pad and missing > 0:
            self._fifo.write(silent_frame(self._template, missing))
        return self._fifo.read()

    def _emit(self, frame: AudioFrame) -> list[bytes]:
        self.samples_out += frame.samples
        return self._sink.encode(frame)
