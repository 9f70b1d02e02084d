"""Streaming audio conversion for adapters: resampling, channel mapping and encoding.

Canonical hub audio is signed 16-bit little-endian PCM ("s16le"), interleaved when it has
more than one channel, arriving in byte chunks of any size while a stream plays. The
classes here convert it *incrementally*: each call returns whatever output is ready, so an
adapter can forward audio to its client while synthesis is still running.

* :class:`Resampler` changes the sample rate and/or channel count of s16le PCM.
* :class:`StreamEncoder` turns s16le PCM into mp3, Ogg Opus, ADTS AAC, FLAC, WAV, raw PCM
  or 8 kHz μ-law bytes.

All codec work is done by PyAV (the ffmpeg libraries bundled in the ``av`` wheels); only
the WAV header is written here. Containers are muxed into a non-seekable in-memory sink
that is drained after every call, which is what makes the output stream.
"""

from __future__ import annotations

import io
import logging
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream

_LOGGER = logging.getLogger(__name__)

AUDIO_FORMATS: tuple[str, ...] = ("mp3", "opus", "aac", "flac", "wav", "pcm")
"""Formats clients may ask for (the OpenAI ``response_format`` values)."""

CONTENT_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}

MULAW_FORMAT = "mulaw"
MULAW_CONTENT_TYPE = "audio/basic"
MULAW_RATE = 8000

STREAM_FORMATS: tuple[str, ...] = (*AUDIO_FORMATS, MULAW_FORMAT)
"""Everything :class:`StreamEncoder` accepts: :data:`AUDIO_FORMATS` plus telephony μ-law."""

_SAMPLE_BYTES = 2  # s16
_MAX_CHANNELS = 8
_WAV_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")
_WAV_UNKNOWN_SIZE = 0xFFFFFFFF

_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_AAC_RATES = tuple(sorted((*_MP3_RATES, 7350, 64000, 88200, 96000)))
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
_FLAC_MAX_RATE = 655350

# Ogg pages are normally cut every second; shorter pages let Opus start streaming sooner at
# a small size cost (roughly 4 kbit/s of page headers at 60 ms).
_OGG_PAGE_MICROSECONDS = 60_000


class UnsupportedFormatError(ValueError):
    """The requested audio format is not one :class:`StreamEncoder` can produce."""

    def __init__(self, fmt: str, supported: tuple[str, ...] = STREAM_FORMATS) -> None:
        super().__init__(
            f"Unsupported audio format {fmt!r}; supported formats: {', '.join(supported)}"
        )
        self.fmt = fmt
        self.supported = supported


def normalize_format(fmt: str) -> str:
    """Return the canonical name of ``fmt`` (case-insensitive) or raise UnsupportedFormatError."""
    name = fmt.strip().lower() if isinstance(fmt, str) else ""
    if name not in STREAM_FORMATS:
        raise UnsupportedFormatError(str(fmt))
    return name


def content_type_for(fmt: str) -> str:
    """HTTP content type for any format in :data:`STREAM_FORMATS`."""
    name = normalize_format(fmt)
    return MULAW_CONTENT_TYPE if name == MULAW_FORMAT else CONTENT_TYPES[name]


# --------------------------------------------------------------------------- helpers


def _check_rate(rate: int, what: str) -> int:
    if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
        raise ValueError(f"{what} must be a positive integer, got {rate!r}")
    return rate


def _check_channels(channels: int, what: str) -> int:
    if not isinstance(channels, int) or not 1 <= channels <= _MAX_CHANNELS:
        raise ValueError(f"{what} must be an integer from 1 to {_MAX_CHANNELS}, got {channels!r}")
    return channels


def _layout_name(channels: int) -> str:
    """ffmpeg's default channel layout for ``channels`` channels (mono, stereo, 2.1, ...)."""
    return av.AudioLayout(f"{channels}c").name


def _nearest_rate(wanted: int, supported: tuple[int, ...]) -> int:
    """``wanted`` if supported, else the lowest supported rate above it, else the highest."""
    if wanted in supported:
        return wanted
    higher = [rate for rate in supported if rate > wanted]
    return min(higher) if higher else max(supported)


def _remix(samples: np.ndarray, src_channels: int, dst_channels: int) -> np.ndarray:
    """Map interleaved int16 samples to another channel count.

    Upmixing copies source channels round-robin (mono goes to every channel); downmixing
    averages the source channels that fold onto each output channel (all of them for mono).
    """
    if src_channels == dst_channels:
        return samples
    frames = samples.reshape(-1, src_channels)
    if dst_channels > src_channels:
        mapped = frames[:, np.arange(dst_channels) % src_channels]
    else:
        wide = frames.astype(np.int32)
        mapped = np.stack(
            [np.rint(wide[:, j::dst_channels].mean(axis=1)) for j in range(dst_channels)],
            axis=1,
        ).astype(np.int16)
    return np.ascontiguousarray(mapped).reshape(-1)


def _make_frame(samples: np.ndarray, channels: int, rate: int, pts: int) -> AudioFrame:
    """Wrap interleaved int16 samples in a packed s16 AudioFrame stamped at ``pts``."""
    frame = AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1),
        format="s16",
        layout=_layout_name(channels),
    )
    frame.sample_rate = rate
    frame.pts = pts
    frame.time_base = Fraction(1, rate)
    return frame


def _frames_to_bytes(frames: list[AudioFrame]) -> bytes:
    """Concatenate packed s16 frames as s16le bytes."""
    return b"".join(frame.to_ndarray().astype("<i2", copy=False).tobytes() for frame in frames)


@dataclass
class _FrameAligner:
    """Holds back a trailing partial sample frame so only whole frames go downstream."""

    frame_bytes: int
    _pending: bytes = b""

    def take(self, data: bytes) -> bytes:
        if not self._pending and len(data) % self.frame_bytes == 0:
            return data  # the common case: no copy
        data = self._pending + bytes(data)
        cut = len(data) - len(data) % self.frame_bytes
        self._pending = data[cut:]
        return data[:cut]

    def reset(self) -> None:
        if self._pending:
            _LOGGER.debug("Dropping %d trailing bytes of a partial sample", len(self._pending))
        self._pending = b""


# --------------------------------------------------------------------------- resampler


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
        self.src_rate = _check_rate(src_rate, "src_rate")
        self.dst_rate = _check_rate(dst_rate, "dst_rate")
        self.src_channels = _check_channels(src_channels, "src_channels")
        self.dst_channels = _check_channels(dst_channels, "dst_channels")
        self._aligner = _FrameAligner(_SAMPLE_BYTES * src_channels)
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
        samples = _remix(np.frombuffer(pcm, dtype="<i2"), self.src_channels, self.dst_channels)
        if self.src_rate == self.dst_rate:
            return samples.astype("<i2", copy=False).tobytes()
        return self._resample(samples)

    def flush(self) -> bytes:
        """Return the samples still held by the filter and reset for a new stream."""
        self._aligner.reset()
        if self._av is None:
            return b""
        tail = _frames_to_bytes(self._av.resample(None))
        self._av = None
        self._pts = 0
        return tail

    def _resample(self, samples: np.ndarray) -> bytes:
        if self._av is None:
            self._av = av.AudioResampler(
                format="s16", layout=_layout_name(self.dst_channels), rate=self.dst_rate
            )
        frame = _make_frame(samples, self.dst_channels, self.src_rate, self._pts)
        self._pts += frame.samples
        return _frames_to_bytes(self._av.resample(frame))


# --------------------------------------------------------------------------- encoders


class _Backend(Protocol):
    def encode(self, pcm: bytes) -> bytes: ...

    def flush(self) -> bytes: ...

    def close(self) -> None: ...


def _wav_header(data_size: int, rate: int, channels: int) -> bytes:
    """RIFF/WAVE header for s16le; ``_WAV_UNKNOWN_SIZE`` marks a stream of unknown length."""
    block_align = channels * _SAMPLE_BYTES
    riff_size = _WAV_UNKNOWN_SIZE if data_size == _WAV_UNKNOWN_SIZE else 36 + data_size
    return _WAV_HEADER.pack(
        b"RIFF", riff_size, b"WAVE",
        b"fmt ", 16, 1, channels, rate, rate * block_align, block_align, 8 * _SAMPLE_BYTES,
        b"data", data_size,
    )  # fmt: skip


def wav_bytes(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    """A complete WAV file (exact sizes in the header) holding s16le ``pcm``.

    A trailing partial sample frame, if any, is dropped.
    """
    _check_rate(rate, "rate")
    _check_channels(channels, "channels")
    block_align = channels * _SAMPLE_BYTES
    data = bytes(pcm[: len(pcm) - len(pcm) % block_align])
    return _wav_header(len(data), rate, channels) + data


@dataclass
class _RawBackend:
    """pcm and streaming wav: resampled s16le, optionally behind an open-ended WAV header."""

    resampler: Resampler
    header: bytes = b""

    def _with_header(self, data: bytes) -> bytes:
        head, self.header = self.header, b""
        return head + data if head else data

    def encode(self, pcm: bytes) -> bytes:
        return self._with_header(self.resampler.convert(pcm))

    def flush(self) -> bytes:
        return self._with_header(self.resampler.flush())

    def close(self) -> None:
        self.resampler.flush()


class _MulawBackend:
    """μ-law bytes (mono) via ffmpeg's pcm_mulaw encoder."""

    def __init__(self, input_rate: int, output_rate: int, channels: int) -> None:
        self._resampler = Resampler(input_rate, output_rate, channels, 1)
        self._rate = output_rate
        self._pts = 0
        self._codec = av.CodecContext.create("pcm_mulaw", "w")
        self._codec.sample_rate = output_rate
        self._codec.layout = "mono"
        self._codec.format = "s16"
        self._codec.time_base = Fraction(1, output_rate)
        self._codec.open()

    def _encode_pcm(self, pcm: bytes) -> bytes:
        if not pcm:
            return b""
        frame = _make_frame(np.frombuffer(pcm, dtype="<i2"), 1, self._rate, self._pts)
        self._pts += frame.samples
        return b"".join(bytes(packet) for packet in self._codec.encode(frame))

    def encode(self, pcm: bytes) -> bytes:
        return self._encode_pcm(self._resampler.convert(pcm))

    def flush(self) -> bytes:
        data = self._encode_pcm(self._resampler.flush())
        return data + b"".join(bytes(packet) for packet in self._codec.encode(None))

    def close(self) -> None:
        self._resampler.flush()


@dataclass(frozen=True)
class _ContainerSpec:
    """How one compressed format is produced: muxer, encoder and their settings."""

    container: str
    codec: str
    rates: tuple[int, ...] | None  # None: any rate up to max_rate
    bitrate_per_channel: int | None
    default_rate: int | None = None  # None: keep the input rate when allowed
    max_rate: int = 48000
    options: dict[str, str] = field(default_factory=dict)
    codec_options: dict[str, str] = field(default_factory=dict)

    def pick_rate(self, wanted: int | None, input_rate: int) -> int:
        if wanted is None:
            wanted = self.default_rate or input_rate
        if self.rates is None:
            return min(wanted, self.max_rate)
        return _nearest_rate(wanted, self.rates)


_CONTAINER_SPECS: dict[str, _ContainerSpec] = {
    # No ID3 tag and no Xing frame: plain MP3 frames that can be concatenated and streamed
    # (ffmpeg could not rewrite the Xing frame on a non-seekable sink anyway).
    # LAME's quality 7 is about twice as fast as its default with no audible loss on speech,
    # which matters when the encoder shares the CPU with the TTS engine.
    "mp3": _ContainerSpec(
        "mp3",
        "libmp3lame",
        _MP3_RATES,
        64_000,
        options={"id3v2_version": "0", "write_xing": "0"},
        codec_options={"compression_level": "7"},
    ),
    "aac": _ContainerSpec("adts", "aac", _AAC_RATES, 64_000),
    # Opus decoders always output 48 kHz, so 48 kHz is the default: decoded == advertised.
    "opus": _ContainerSpec(
        "ogg",
        "libopus",
        _OPUS_RATES,
        32_000,
        default_rate=48000,
        options={"page_duration": str(_OGG_PAGE_MICROSECONDS)},
    ),
    "flac": _ContainerSpec("flac", "flac", None, None, max_rate=_FLAC_MAX_RATE),
}


class _DrainSink:
    """Write-only, non-seekable byte sink (PyAV sees no seek/tell, so muxers never seek)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def drain(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


class _ContainerBackend:
    """Compressed formats: s16 → resample/re-chunk to the codec's frames → encode → mux."""

    def __init__(
        self, spec: _ContainerSpec, input_rate: int, output_rate: int, channels: int, bitrate: int
    ) -> None:
        self._input_rate = input_rate
        self._rate = output_rate
        self._channels = channels
        self._in_pts = 0
        self._out_pts = 0
        self._sink = _DrainSink()
        self._container = av.open(
            self._sink,
            mode="w",
            format=spec.container,
            container_options={**spec.options, "flush_packets": "1"},
        )
        self._stream = self._open_stream(spec.codec, bitrate, spec.codec_options)
        ctx = self._stream.codec_context
        self._fifo = av.AudioResampler(
            format=ctx.format.name,
            layout=_layout_name(channels),
            rate=output_rate,
            frame_size=ctx.frame_size or None,
        )

    def _open_stream(self, codec: str, bitrate: int, options: dict[str, str]) -> AudioStream:
        stream = self._container.add_stream(codec, rate=self._rate)
        ctx = stream.codec_context
        if options:
            ctx.options = dict(options)
        ctx.layout = _layout_name(self._channels)
        ctx.time_base = Fraction(1, self._rate)
        if bitrate:
            ctx.bit_rate = bitrate
        self._container.start_encoding()  # opens the codec (frame_size) and writes the header
        return stream

    def _encode_frames(self, frames: list[AudioFrame]) -> None:
        for frame in frames:
            frame.pts = self._out_pts
            frame.time_base = Fraction(1, self._rate)
            self._out_pts += frame.samples
            self._container.mux(self._stream.encode(frame))

    def encode(self, pcm: bytes) -> bytes:
        if pcm:
            samples = np.frombuffer(pcm, dtype="<i2")
            frame = _make_frame(samples, self._channels, self._input_rate, self._in_pts)
            self._in_pts += frame.samples
            self._encode_frames(self._fifo.resample(frame))
        return self._sink.drain()

    def flush(self) -> bytes:
        self._encode_frames(self._fifo.resample(None))
        self._container.mux(self._stream.encode(None))
        self._container.close()  # writes the trailer
        return self._sink.drain()

    def close(self) -> None:
        self._container.close()
        self._sink.drain()


class StreamEncoder:
    """Incremental encoder: s16le PCM in, bytes of the container/format out, as it streams.

    Keep one per stream. ``encode`` returns the bytes produced so far (possibly ``b""``,
    the first call also carries the container header); ``flush`` ends the stream and returns
    the rest, including any trailer. Concatenating every returned chunk gives a valid file.

    ``channels`` is the channel count of the input and of the output (μ-law is always mono).
    ``output_rate`` is snapped to a rate the format supports; read it back from
    :attr:`output_rate`.
    """

    def __init__(
        self,
        fmt: str,
        input_rate: int,
        *,
        output_rate: int | None = None,
        channels: int = 1,
        bitrate: int | None = None,
    ) -> None:
        self._fmt = normalize_format(fmt)
        _check_rate(input_rate, "input_rate")
        _check_channels(channels, "channels")
        if output_rate is not None:
            _check_rate(output_rate, "output_rate")
        if bitrate is not None:
            _check_rate(bitrate, "bitrate")
        self._aligner = _FrameAligner(_SAMPLE_BYTES * channels)
        self._done = False
        self._output_rate, self._backend = self._make_backend(
            input_rate, output_rate, channels, bitrate
        )
        _LOGGER.debug(
            "Encoder %s: %d Hz in, %d Hz out, %d channel(s)",
            self._fmt,
            input_rate,
            self._output_rate,
            channels,
        )

    def _make_backend(
        self, input_rate: int, output_rate: int | None, channels: int, bitrate: int | None
    ) -> tuple[int, _Backend]:
        spec = _CONTAINER_SPECS.get(self._fmt)
        if spec is not None:
            rate = spec.pick_rate(output_rate, input_rate)
            bits = bitrate or (spec.bitrate_per_channel or 0) * channels
            return rate, _ContainerBackend(spec, input_rate, rate, channels, bits)
        if self._fmt == MULAW_FORMAT:
            rate = output_rate or MULAW_RATE
            return rate, _MulawBackend(input_rate, rate, channels)
        rate = output_rate or input_rate
        header = _wav_header(_WAV_UNKNOWN_SIZE, rate, channels) if self._fmt == "wav" else b""
        return rate, _RawBackend(Resampler(input_rate, rate, channels, channels), header)

    @property
    def format(self) -> str:
        return self._fmt

    @property
    def content_type(self) -> str:
        return content_type_for(self._fmt)

    @property
    def output_rate(self) -> int:
        """Sample rate of the encoded audio."""
        return self._output_rate

    def encode(self, pcm: bytes) -> bytes:
        """Feed s16le PCM; returns the encoded bytes available so far (may be ``b""``)."""
        if self._done:
            raise RuntimeError("StreamEncoder.encode() called after flush()")
        return self._backend.encode(self._aligner.take(pcm))

    def flush(self) -> bytes:
        """Finish the stream: remaining frames plus trailer. Further calls return ``b""``."""
        if self._done:
            return b""
        self._done = True
        self._aligner.reset()
        return self._backend.flush()

    def close(self) -> None:
        """Abandon the stream (e.g. the client went away), discarding pending output."""
        if not self._done:
            self._done = True
            self._backend.close()


def encode_all(
    pcm: bytes,
    fmt: str,
    input_rate: int,
    *,
    output_rate: int | None = None,
    channels: int = 1,
    bitrate: int | None = None,
) -> bytes:
    """Encode a whole s16le buffer in one go (same options as :class:`StreamEncoder`)."""
    encoder = StreamEncoder(
        fmt, input_rate, output_rate=output_rate, channels=channels, bitrate=bitrate
    )
    return encoder.encode(pcm) + encoder.flush()


# --------------------------------------------------------------------------- decoding

# Demuxer names for our format names; raw formats need the rate from the caller.
_DEMUXERS: dict[str, str] = {
    "mp3": "mp3",
    "opus": "ogg",
    "aac": "aac",
    "flac": "flac",
    "wav": "wav",
    "pcm": "s16le",
    MULAW_FORMAT: "mulaw",
}


def _demuxer_options(
    fmt: str | None, rate: int | None, channels: int
) -> tuple[str | None, dict[str, str]]:
    if fmt is None:
        return None, {}
    name = normalize_format(fmt)
    if name == "pcm" and rate is None:
        raise ValueError("decoding raw 'pcm' needs its sample rate: pass rate=")
    if name in ("pcm", MULAW_FORMAT):
        raw_rate = rate or MULAW_RATE
        return _DEMUXERS[name], {"sample_rate": str(raw_rate), "ch_layout": _layout_name(channels)}
    return _DEMUXERS[name], {}


def decode_to_pcm(
    data: bytes, fmt_hint: str | None = None, *, rate: int | None = None, channels: int = 1
) -> tuple[bytes, int, int]:
    """Decode an in-memory file to ``(s16le interleaved pcm, sample_rate, channels)``.

    ``fmt_hint`` is one of :data:`STREAM_FORMATS` (or None to let ffmpeg probe). Headerless
    formats need ``rate``/``channels``: "pcm" requires ``rate``; "mulaw" defaults to 8000.
    """
    demuxer, options = _demuxer_options(fmt_hint, rate, channels)
    with av.open(io.BytesIO(data), mode="r", format=demuxer, options=options) as container:
        if not container.streams.audio:
            raise ValueError("no audio stream found in the data")
        stream = container.streams.audio[0]
        converter: av.AudioResampler | None = None
        chunks: list[bytes] = []
        out_rate, out_channels = stream.codec_context.sample_rate, stream.codec_context.channels
        for frame in container.decode(stream):
            if converter is None:
                out_rate, out_channels = frame.sample_rate, frame.layout.nb_channels
                converter = av.AudioResampler(format="s16", layout=frame.layout, rate=out_rate)
            chunks.append(_frames_to_bytes(converter.resample(frame)))
        if converter is not None:
            chunks.append(_frames_to_bytes(converter.resample(None)))
    return b"".join(chunks), out_rate, out_channels
