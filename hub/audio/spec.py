"""What a client wants to hear: an :class:`AudioSpec`, and the :class:`OutputFormat` it
resolves to once the stream's native rate is known.

Rates come from the codecs themselves (``av.codec.Codec(name, "w").audio_rates``, None
meaning any rate): a wish the codec cannot do is snapped to the nearest rate above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import av

from hub.audio.formats import (
    COMPRESSED_FORMATS,
    MULAW_FORMAT,
    MULAW_RATE,
    OPUS_PACKETS,
    content_type_for,
    normalize_format,
)
from hub.audio.pcm import SAMPLE_BYTES, check_channels, check_rate

CODECS: dict[str, str] = {
    "wav": "pcm_s16le",
    MULAW_FORMAT: "pcm_mulaw",
    OPUS_PACKETS: "libopus",
    "mp3": "libmp3lame",
    "aac": "aac",
    "opus": "libopus",
    "flac": "flac",
}
"""ffmpeg encoder of each encoding ("pcm" needs none)."""

# Opus decoders always output 48 kHz, so 48 kHz is the default: decoded == advertised.
_DEFAULT_RATES: dict[str, int] = {MULAW_FORMAT: MULAW_RATE, OPUS_PACKETS: 48000, "opus": 48000}
_OPUS_FRAME_MS = (2.5, 5, 10, 20, 40, 60)
DEFAULT_OPUS_FRAME_MS = 20


@cache
def codec_rates(codec: str) -> tuple[int, ...] | None:
    """Sample rates the ffmpeg encoder ``codec`` accepts, or None for any."""
    rates = av.codec.Codec(codec, "w").audio_rates
    return tuple(sorted(rates)) if rates else None


def _snap(wanted: int, supported: tuple[int, ...] | None) -> int:
    """``wanted`` if supported, else the lowest supported rate above it, else the highest."""
    if supported is None or wanted in supported:
        return wanted
    higher = [rate for rate in supported if rate > wanted]
    return min(higher) if higher else max(supported)


@dataclass(frozen=True)
class OutputFormat:
    """The audio a stream actually yields, known before its first chunk."""

    encoding: str
    rate: int
    channels: int
    frame_samples: int | None
    """Samples per channel in every chunk, or None: chunks as they come."""
    bitrate: int | None
    pad: bool = True
    """Pad the last frame with silence (else it may be shorter)."""

    @property
    def content_type(self) -> str:
        return content_type_for(self.encoding)

    @property
    def sample_width(self) -> int:
        """Bytes per sample of the PCM encodings (1 for mu-law); 0 for compressed ones."""
        if self.encoding in ("pcm", "wav"):
            return SAMPLE_BYTES
        return 1 if self.encoding == MULAW_FORMAT else 0

    @property
    def frame_bytes(self) -> int | None:
        """Bytes in every chunk (the last one too, when padded) for PCM and mu-law with
        fixed frames, else None."""
        if self.frame_samples is None or not self.sample_width or self.encoding == "wav":
            return None
        return self.frame_samples * self.channels * self.sample_width

    @property
    def compressed(self) -> bool:
        return self.encoding in COMPRESSED_FORMATS


@dataclass(frozen=True)
class AudioSpec:
    """The format an adapter wants: ``AudioSpec("mulaw", frame_ms=20)`` for a phone line,
    ``AudioSpec("opus_packets", channels=2)`` for Discord, ``AudioSpec("mp3")`` for REST.

    ``rate`` None keeps the stream's native rate (or the encoding's default: 8 kHz mu-law,
    48 kHz Opus). ``frame_ms`` (or ``frame_samples``, for sizes that are not whole
    milliseconds) cuts the output into exact frames, the last one padded with silence
    (``pad=False``: left short, for clients that take any size but not extra audio);
    None yields chunks as they come (Opus packets default to 20 ms frames).
    """

    encoding: str = "pcm"
    rate: int | None = None
    channels: int = 1
    frame_ms: float | None = None
    bitrate: int | None = None
    frame_samples: int | None = None
    pad: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoding", normalize_format(self.encoding))
        if self.rate is not None:
            check_rate(self.rate, "rate")
        check_channels(self.channels, "channels")
        if self.encoding == MULAW_FORMAT and self.channels != 1:
            raise ValueError("mu-law is mono: use channels=1")
        if self.bitrate is not None:
            check_rate(self.bitrate, "bitrate")
        if self.frame_ms is not None and self.frame_samples is not None:
            raise ValueError("give frame_ms or frame_samples, not both")
        if self.frame_ms is not None and not self.frame_ms > 0:
            raise ValueError(f"frame_ms must be positive, got {self.frame_ms!r}")
        if self.frame_samples is not None:
            check_rate(self.frame_samples, "frame_samples")
        if self.encoding == OPUS_PACKETS and self.frame_ms not in (None, *_OPUS_FRAME_MS):
            raise ValueError(f"Opus frames are {', '.join(map(str, _OPUS_FRAME_MS))} ms long")

    def resolve(self, native_rate: int) -> OutputFormat:
        """The concrete output for a stream whose audio is natively at ``native_rate``."""
        wanted = self.rate or _DEFAULT_RATES.get(self.encoding, native_rate)
        codec = CODECS.get(self.encoding)
        rate = _snap(wanted, codec_rates(codec) if codec else None)
        frame_samples = self._samples(rate)
        return OutputFormat(
            self.encoding, rate, self.channels, frame_samples, self.bitrate, self.pad
        )

    def _samples(self, rate: int) -> int | None:
        frame_ms = self.frame_ms
        if frame_ms is None and self.encoding == OPUS_PACKETS and self.frame_samples is None:
            frame_ms = DEFAULT_OPUS_FRAME_MS
        if frame_ms is None:
            return self.frame_samples
        samples = Fraction(rate) * Fraction(frame_ms) / 1000
        if samples.denominator != 1:
            raise ValueError(f"{frame_ms} ms is not a whole number of samples at {rate} Hz")
        return int(samples)
