"""Whole WAV files with exact sizes, written by PyAV's wav muxer.

On a seekable buffer the muxer goes back and fills in the RIFF and data sizes when it
closes; streaming WAV (sizes left open) is :class:`~hub.audio.codecs.MuxSink` on a
non-seekable sink. ``fflags=+bitexact`` keeps the header the plain 44 bytes (no LIST/INFO
chunk naming the muxer).
"""

from __future__ import annotations

import io

import av

from hub.audio.decode import decode_to_pcm
from hub.audio.pcm import SAMPLE_BYTES, check_channels, check_rate, layout_name, pcm_frame


def wav_bytes(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    """A complete WAV file (exact sizes in the header) holding s16le ``pcm``.

    A trailing partial sample frame, if any, is dropped.
    """
    check_rate(rate, "rate")
    check_channels(channels, "channels")
    block_align = channels * SAMPLE_BYTES
    data = bytes(pcm[: len(pcm) - len(pcm) % block_align])
    buffer = io.BytesIO()
    with av.open(
        buffer, mode="w", format="wav", container_options={"fflags": "+bitexact"}
    ) as container:
        stream = container.add_stream("pcm_s16le", rate=rate)
        stream.codec_context.layout = layout_name(channels)
        if data:
            container.mux(stream.encode(pcm_frame(data, channels, rate, 0)))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def seal_wav(streamed: bytes) -> bytes:
    """A streamed WAV (sizes left open) as a whole file with exact sizes."""
    pcm, rate, channels = decode_to_pcm(streamed, "wav")
    return wav_bytes(pcm, rate, channels)
