"""The last stage of a conversion: frames in the output rate and layout become bytes.

* :class:`PcmSink` (pcm): the samples themselves.
* :class:`PacketSink` (mulaw, opus_packets): one ffmpeg encoder, its packets as they are,
  no container.
* :class:`MuxSink` (mp3, opus, aac, flac, wav): encoder plus muxer, written to a
  non-seekable in-memory sink that is drained after every frame, which is what makes the
  container stream. PyAV's wav muxer on such a sink writes the open-ended header
  (sizes 0xFFFFFFFF) that streaming WAV readers expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

import av
from av.audio.frame import AudioFrame

from hub.audio.formats import MULAW_FORMAT
from hub.audio.pcm import frame_bytes, layout_name
from hub.audio.spec import CODECS, OutputFormat

# Ogg pages are normally cut every second; shorter pages let Opus start streaming sooner at
# a small size cost (roughly 4 kbit/s of page headers at 60 ms).
_OGG_PAGE_MICROSECONDS = 60_000
_OPUS_BITRATE_PER_CHANNEL = 32_000


class Sink(Protocol):
    format: str
    """Sample format the frames must be in (s16, fltp, ...)."""
    frame_size: int | None
    """Samples per frame the encoder needs (the last may be shorter), or None: any."""

    def encode(self, frame: AudioFrame) -> list[bytes]: ...

    def finish(self) -> list[bytes]: ...

    def close(self) -> None: ...


class PcmSink:
    format = "s16"
    frame_size: int | None = None

    def encode(self, frame: AudioFrame) -> list[bytes]:
        return [frame_bytes(frame)]

    def finish(self) -> list[bytes]:
        return []

    def close(self) -> None:
        return None


class _Stamper:
    """Gives frames consecutive pts in the output time base."""

    def __init__(self, rate: int) -> None:
        self._rate = rate
        self._pts = 0

    def stamp(self, frame: AudioFrame) -> AudioFrame:
        frame.pts = self._pts
        frame.time_base = Fraction(1, self._rate)
        self._pts += frame.samples
        return frame


class PacketSink:
    """An encoder without a container: mu-law bytes per frame, or one Opus packet per frame."""

    def __init__(self, output: OutputFormat) -> None:
        ctx = av.CodecContext.create(CODECS[output.encoding], "w")
        ctx.sample_rate = output.rate
        ctx.layout = layout_name(output.channels)
        ctx.format = "s16"
        ctx.time_base = Fraction(1, output.rate)
        if output.encoding != MULAW_FORMAT:
            frame_ms = 1000 * Fraction(output.frame_samples or 960, output.rate)
            ctx.options = {"frame_duration": str(float(frame_ms))}
            ctx.bit_rate = output.bitrate or _OPUS_BITRATE_PER_CHANNEL * output.channels
        ctx.open()
        self._ctx = ctx
        self._join = output.encoding == MULAW_FORMAT
        self._stamper = _Stamper(output.rate)
        self.format = "s16"
        self.frame_size = ctx.frame_size or None

    def _packets(self, frame: AudioFrame | None) -> list[bytes]:
        packets = [bytes(packet) for packet in self._ctx.encode(frame)]
        return [b"".join(packets)] if self._join and packets else packets

    def encode(self, frame: AudioFrame) -> list[bytes]:
        return self._packets(self._stamper.stamp(frame))

    def finish(self) -> list[bytes]:
        return self._packets(None)

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class _Container:
    """How one container format is produced: muxer, bitrate and their settings."""

    muxer: str
    bitrate_per_channel: int | None
    options: dict[str, str] = field(default_factory=dict)
    codec_options: dict[str, str] = field(default_factory=dict)


_CONTAINERS: dict[str, _Container] = {
    # No ID3 tag and no Xing frame: plain MP3 frames that can be concatenated and streamed
    # (ffmpeg could not rewrite the Xing frame on a non-seekable sink anyway).
    # LAME's quality 7 is about twice as fast as its default with no audible loss on speech,
    # which matters when the encoder shares the CPU with the TTS engine.
    "mp3": _Container(
        "mp3",
        64_000,
        options={"id3v2_version": "0", "write_xing": "0"},
        codec_options={"compression_level": "7"},
    ),
    "aac": _Container("adts", 64_000),
    "opus": _Container(
        "ogg", _OPUS_BITRATE_PER_CHANNEL, options={"page_duration": str(_OGG_PAGE_MICROSECONDS)}
    ),
    "flac": _Container("flac", None),
    # bitexact: no LIST/INFO chunk naming the muxer, so the header is the plain 44 bytes.
    "wav": _Container("wav", None, options={"fflags": "+bitexact"}),
}


class _DrainSink:
    """Write-only, non-seekable byte sink (PyAV sees no seek/tell, so muxers never seek)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def drain(self) -> list[bytes]:
        data = bytes(self._buffer)
        self._buffer.clear()
        return [data] if data else []


class MuxSink:
    """Compressed containers (and streaming WAV): encode, mux, drain."""

    def __init__(self, output: OutputFormat) -> None:
        spec = _CONTAINERS[output.encoding]
        self._sink = _DrainSink()
        self._container = av.open(
            self._sink,
            mode="w",
            format=spec.muxer,
            container_options={**spec.options, "flush_packets": "1"},
        )
        stream = self._container.add_stream(CODECS[output.encoding], rate=output.rate)
        ctx = stream.codec_context
        if spec.codec_options:
            ctx.options = dict(spec.codec_options)
        ctx.layout = layout_name(output.channels)
        ctx.time_base = Fraction(1, output.rate)
        bitrate = output.bitrate or (spec.bitrate_per_channel or 0) * output.channels
        if bitrate:
            ctx.bit_rate = bitrate
        self._container.start_encoding()  # opens the codec (frame_size) and writes the header
        self._stream = stream
        self._stamper = _Stamper(output.rate)
        self.format = ctx.format.name
        self.frame_size = ctx.frame_size or None

    def encode(self, frame: AudioFrame) -> list[bytes]:
        self._container.mux(self._stream.encode(self._stamper.stamp(frame)))
        return self._sink.drain()

    def finish(self) -> list[bytes]:
        self._container.mux(self._stream.encode(None))
        self._container.close()  # writes the trailer
        return self._sink.drain()

    def close(self) -> None:
        self._container.close()
        self._sink.drain()


def open_sink(output: OutputFormat) -> Sink:
    if output.encoding == "pcm":
        return PcmSink()
    if output.encoding in _CONTAINERS:
        return MuxSink(output)
    return PacketSink(output)
