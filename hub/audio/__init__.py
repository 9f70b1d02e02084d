"""Audio conversion for every adapter, in one place: the client's format from canonical PCM.

Canonical hub audio is mono (or interleaved) signed 16-bit little-endian PCM at the
engine's rate. An adapter names what it wants once, as an :class:`AudioSpec` (encoding,
rate, channels, frame length), and an :class:`AudioConverter` per stream turns the PCM into
that, incrementally, while it streams. All codec work is done by PyAV (the ffmpeg
libraries bundled in the ``av`` wheels).

Modules: ``formats`` (names, content types), ``spec`` (AudioSpec, OutputFormat),
``resample`` (Resampler), ``output`` (AudioConverter), ``codecs`` (encoders and muxers),
``encode`` (StreamEncoder), ``wav`` (whole WAV files), ``decode`` (files back to PCM),
``tempo`` (TimeStretcher: speed without a change of pitch).
"""

from hub.audio.decode import UndecodableAudioError, decode_to_pcm
from hub.audio.encode import StreamEncoder, encode_all
from hub.audio.formats import (
    AUDIO_FORMATS,
    COMPRESSED_FORMATS,
    CONTENT_TYPES,
    MULAW_CONTENT_TYPE,
    MULAW_FORMAT,
    MULAW_RATE,
    OPUS_PACKETS,
    STREAM_FORMATS,
    UnsupportedFormatError,
    content_type_for,
    normalize_format,
)
from hub.audio.output import AudioConverter
from hub.audio.resample import Resampler
from hub.audio.spec import AudioSpec, OutputFormat
from hub.audio.tempo import TimeStretcher
from hub.audio.wav import seal_wav, wav_bytes

__all__ = [
    "AUDIO_FORMATS",
    "COMPRESSED_FORMATS",
    "CONTENT_TYPES",
    "MULAW_CONTENT_TYPE",
    "MULAW_FORMAT",
    "MULAW_RATE",
    "OPUS_PACKETS",
    "STREAM_FORMATS",
    "AudioConverter",
    "AudioSpec",
    "OutputFormat",
    "Resampler",
    "StreamEncoder",
    "TimeStretcher",
    "UndecodableAudioError",
    "UnsupportedFormatError",
    "content_type_for",
    "decode_to_pcm",
    "encode_all",
    "normalize_format",
    "seal_wav",
    "wav_bytes",
]
