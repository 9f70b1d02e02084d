"""Decoding an in-memory file (any container ffmpeg reads) back to s16le PCM, and raw
G.711 mu-law packets (a phone line's audio) with ffmpeg's own ``pcm_mulaw`` decoder."""

from __future__ import annotations

import io

import av
from av.error import FFmpegError

from hub.audio.formats import MULAW_FORMAT, MULAW_RATE, normalize_format
from hub.audio.pcm import frames_to_bytes, layout_name

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


class UndecodableAudioError(ValueError):
    """ffmpeg could not read the data as audio (of the hinted format)."""


def _demuxer_options(
    fmt: str | None, rate: int | None, channels: int
) -> tuple[str | None, dict[str, str]]:
    if fmt is None:
        return None, {}
    name = normalize_format(fmt)
    if name not in _DEMUXERS:
        raise ValueError(f"{name!r} is not a file format; decode its packets with a codec")
    if name == "pcm" and rate is None:
        raise ValueError("decoding raw 'pcm' needs its sample rate: pass rate=")
    if name in ("pcm", MULAW_FORMAT):
        raw_rate = rate or MULAW_RATE
        return _DEMUXERS[name], {"sample_rate": str(raw_rate), "ch_layout": layout_name(channels)}
    return _DEMUXERS[name], {}


def mulaw_to_pcm(data: bytes, rate: int = MULAW_RATE) -> bytes:
    """Raw mu-law bytes (G.711, mono) to s16le PCM at the same rate, sample for sample.

    Fast enough for 20 ms frames one at a time (a codec context per call, no container).
    """
    if not data:
        return b""
    codec = av.CodecContext.create("pcm_mulaw", "r")
    codec.sample_rate, codec.layout = rate, "mono"
    return frames_to_bytes(list(codec.decode(av.Packet(data))))


def decode_to_pcm(
    data: bytes, fmt_hint: str | None = None, *, rate: int | None = None, channels: int = 1
) -> tuple[bytes, int, int]:
    """Decode an in-memory file to ``(s16le interleaved pcm, sample_rate, channels)``.

    ``fmt_hint`` is one of the file formats (or None to let ffmpeg probe). Headerless
    formats need ``rate``/``channels``: "pcm" requires ``rate``; "mulaw" defaults to 8000.
    Raises :class:`UndecodableAudioError` for data ffmpeg cannot read.
    """
    demuxer, options = _demuxer_options(fmt_hint, rate, channels)
    try:
        return _decode(data, demuxer, options)
    except FFmpegError as error:
        raise UndecodableAudioError(f"not decodable audio: {error}") from error


def _decode(data: bytes, demuxer: str | None, options: dict[str, str]) -> tuple[bytes, int, int]:
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
            chunks.append(frames_to_bytes(converter.resample(frame)))
        if converter is not None:
            chunks.append(frames_to_bytes(converter.resample(None)))
    return b"".join(chunks), out_rate, out_channels
