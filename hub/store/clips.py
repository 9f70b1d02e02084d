"""Reference clips: validated and normalised on the way into the voice library.

A clip must decode (PyAV), last 3 to 30 seconds, not be silent, and fit the size limit; it is
stored as a mono 16-bit WAV at :data:`CLIP_RATE`.
"""

from __future__ import annotations

import io
import wave

import numpy as np

from hub.audio import Resampler, decode_to_pcm
from hub.contract.errors import InvalidRequestError

CLIP_RATE = 24_000
"""Sample rate of stored clips: what XTTS and Chatterbox resample from anyway."""
MIN_SECONDS = 3.0
MAX_SECONDS = 30.0
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_SILENCE_RMS = 1e-3


def write_wav(samples: np.ndarray, rate: int) -> bytes:
    """Mono int16 samples as a WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """A stored clip as (float32 samples in [-1, 1], sample rate)."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError("stored clips are mono 16-bit WAV")
        frames = wav.readframes(wav.getnframes())
        rate = wav.getframerate()
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate


def normalise_clip(data: bytes) -> tuple[bytes, float]:
    """Validate an uploaded clip; returns (mono s16le 24 kHz WAV, seconds)."""
    if not data:
        raise InvalidRequestError("the clip is empty", "upload a WAV, MP3, FLAC or OGG file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidRequestError(
            f"the clip is {len(data) / 1e6:.1f} MB; at most {MAX_UPLOAD_BYTES / 1e6:.0f} MB",
            f"upload {MIN_SECONDS:.0f} to {MAX_SECONDS:.0f} seconds of speech",
        )
    try:
        pcm, rate, channels = decode_to_pcm(data)
    except Exception as error:  # PyAV raises many types for undecodable input
        raise InvalidRequestError(
            f"the clip is not decodable audio ({error})", "upload a WAV, MP3, FLAC or OGG file"
        ) from None
    seconds = len(pcm) / (2 * channels * rate) if rate else 0.0
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise InvalidRequestError(
            f"the clip lasts {seconds:.1f} s; a reference clip must last "
            f"{MIN_SECONDS:.0f} to {MAX_SECONDS:.0f} s",
            "use a clean recording of one speaker, ideally 6 to 15 seconds",
        )
    resampler = Resampler(rate, CLIP_RATE, channels, 1)
    mono = resampler.convert(pcm) + resampler.flush()
    samples = np.frombuffer(mono, dtype="<i2")
    if float(np.sqrt(np.mean((samples / 32768.0) ** 2))) < _SILENCE_RMS:
        raise InvalidRequestError("the clip is silent", "upload a recording of someone speaking")
    return write_wav(samples, CLIP_RATE), len(samples) / CLIP_RATE
