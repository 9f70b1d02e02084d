"""Names of the encodings hub/audio produces, their HTTP content types, and validation."""

from __future__ import annotations

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

OPUS_PACKETS = "opus_packets"
"""Raw Opus packets, one per frame, no container (what Discord's voice gateway sends)."""
OPUS_PACKETS_CONTENT_TYPE = "audio/opus"

STREAM_FORMATS: tuple[str, ...] = (*AUDIO_FORMATS, MULAW_FORMAT, OPUS_PACKETS)
"""Every encoding an :class:`~hub.audio.AudioSpec` may name."""

COMPRESSED_FORMATS = frozenset({"mp3", "opus", "aac", "flac", OPUS_PACKETS})
"""Encodings whose codec work is heavy enough to keep off an event loop."""


class UnsupportedFormatError(ValueError):
    """The requested audio format is not one hub/audio can produce."""

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
    if name == MULAW_FORMAT:
        return MULAW_CONTENT_TYPE
    if name == OPUS_PACKETS:
        return OPUS_PACKETS_CONTENT_TYPE
    return CONTENT_TYPES[name]
