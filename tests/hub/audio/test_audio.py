"""Tests for hub.audio: real encoding and decoding through PyAV, no mocks."""

from __future__ import annotations

import io
import itertools
import wave
from collections.abc import Iterator

import numpy as np
import pytest

from hub.audio import (
    AUDIO_FORMATS,
    CONTENT_TYPES,
    Resampler,
    StreamEncoder,
    UnsupportedFormatError,
    decode_to_pcm,
    encode_all,
    wav_bytes,
)

RATE = 22050
TONE_HZ = 440.0
DURATION = 1.5
# Irregular chunk sizes in bytes, all even (whole s16 samples).
CHUNK_SIZES = (1000, 3334, 8, 4410, 2, 12_000, 626)
# Encoder priming/padding the decoder cannot trim (mp3 without a LAME tag, ADTS AAC).
DURATION_TOLERANCE = {"mp3": 0.1, "aac": 0.1, "opus": 0.1, "flac": 0.02, "wav": 0.02, "pcm": 0.02}
STREAMING_FORMATS = ("mp3", "aac", "opus", "pcm", "wav")


def speechy_tone(seconds: float, rate: int = RATE) -> bytes:
    """440 Hz tone with a syllable-rate envelope, a weak harmonic and a little noise."""
    t = np.arange(int(seconds * rate)) / rate
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t) ** 2
    signal = np.sin(2 * np.pi * TONE_HZ * t) + 0.2 * np.sin(2 * np.pi * 2 * TONE_HZ * t)
    noise = np.random.default_rng(7).normal(0.0, 0.01, t.size)
    return (np.clip(envelope * signal * 0.6 + noise, -1, 1) * 32767).astype("<i2").tobytes()


def chunks(data: bytes, sizes: tuple[int, ...] = CHUNK_SIZES) -> Iterator[bytes]:
    """Split ``data`` into pieces cycling through ``sizes``."""
    pos = 0
    for size in itertools.cycle(sizes):
        if pos >= len(data):
            return
        yield data[pos : pos + size]
        pos += size


def dominant_hz(pcm: bytes, rate: int, channels: int = 1) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").reshape(-1, channels)[:, 0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[np.argmax(spectrum)])


def stream_encode(encoder: StreamEncoder, pcm: bytes) -> bytes:
    return b"".join(encoder.encode(piece) for piece in chunks(pcm)) + encoder.flush()


@pytest.fixture(scope="module")
def tone() -> bytes:
    return speechy_tone(DURATION)


def test_formats_and_content_types() -> None:
    assert AUDIO_FORMATS == ("mp3", "opus", "aac", "flac", "wav", "pcm")
    assert set(CONTENT_TYPES) == set(AUDIO_FORMATS)
    assert CONTENT_TYPES["mp3"] == "audio/mpeg"
    assert CONTENT_TYPES["opus"] == "audio/ogg"
    for fmt in AUDIO_FORMATS:
        assert StreamEncoder(fmt, RATE).content_type == CONTENT_TYPES[fmt]
    assert StreamEncoder("mulaw", RATE).content_type == "audio/basic"


@pytest.mark.parametrize("fmt", AUDIO_FORMATS)
def test_stream_encode_decodes_to_the_tone(fmt: str, tone: bytes) -> None:
    output_rate = 24000 if fmt == "pcm" else None
    encoder = StreamEncoder(fmt, RATE, output_rate=output_rate)
    data = stream_encode(encoder, tone)

    if fmt == "pcm":
        assert encoder.output_rate == 24000
        pcm, rate, channels = decode_to_pcm(data, "pcm", rate=encoder.output_rate)
    else:
        pcm, rate, channels = decode_to_pcm(data, fmt)

    assert channels == 1
    assert rate == encoder.output_rate
    assert abs(len(pcm) / 2 / rate - DURATION) <= DURATION_TOLERANCE[fmt]
    assert len(pcm) / 2 / rate >= DURATION - 0.02
    assert abs(dominant_hz(pcm, rate) - TONE_HZ) < 3


def test_output_rates() -> None:
    assert StreamEncoder("opus", RATE).output_rate == 48000
    assert StreamEncoder("opus", RATE, output_rate=22050).output_rate == 24000
    assert StreamEncoder("opus", RATE, output_rate=16000).output_rate == 16000
    assert StreamEncoder("mp3", RATE).output_rate == RATE
    assert StreamEncoder("mp3", 7000).output_rate == 8000
    assert StreamEncoder("aac", RATE).output_rate == RATE
    assert StreamEncoder("flac", RATE).output_rate == RATE
    assert StreamEncoder("wav", RATE, output_rate=16000).output_rate == 16000
    assert StreamEncoder("mulaw", RATE).output_rate == 8000


@pytest.mark.parametrize("fmt", (*STREAMING_FORMATS, "flac"))
def test_output_streams_before_flush(fmt: str) -> None:
    pcm = speechy_tone(3.0)
    piece = int(0.1 * RATE) * 2
    encoder = StreamEncoder(fmt, RATE)
    pieces = [encoder.encode(pcm[i : i + piece]) for i in range(0, len(pcm), piece)]
    tail = encoder.flush()
    total = sum(map(len, pieces)) + len(tail)
    if fmt in STREAMING_FORMATS:
        # Audio (not just a header) is out once the first second has gone in.
        assert sum(map(len, pieces[:10])) > 0.15 * total
        assert any(pieces[:5])
    assert sum(map(len, pieces)) > 0.5 * total


def test_stereo_encoding(tone: bytes) -> None:
    stereo = Resampler(RATE, RATE, 1, 2).convert(tone)
    for fmt in ("mp3", "opus"):
        pcm, rate, channels = decode_to_pcm(encode_all(stereo, fmt, RATE, channels=2))
        assert channels == 2
        assert abs(len(pcm) / 4 / rate - DURATION) <= 0.1
        assert abs(dominant_hz(pcm, rate, channels) - TONE_HZ) < 3


def test_wav_stream_header(tone: bytes) -> None:
    data = encode_all(tone, "wav", RATE)
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    assert data[4:8] == b"\xff\xff\xff\xff"
    assert data[36:44] == b"data\xff\xff\xff\xff"
    assert data[44:] == tone


def test_wav_bytes_round_trips_through_wave(tone: bytes) -> None:
    data = wav_bytes(tone, RATE)
    with wave.open(io.BytesIO(data), "rb") as reader:
        assert reader.getframerate() == RATE
        assert reader.getnchannels() == 1
        assert reader.getsampwidth() == 2
        assert reader.getnframes() == len(tone) // 2
        assert reader.readframes(reader.getnframes()) == tone
    assert len(wav_bytes(b"\x01\x02\x03\x04\x05", 8000, channels=2)) == 44 + 4


def test_resampler_keeps_duration_and_pitch(tone: bytes) -> None:
    resampler = Resampler(RATE, 24000)
    out = resampler.convert(tone) + resampler.flush()
    assert abs(len(out) / 2 - len(tone) / 2 * 24000 / RATE) <= 4
    assert abs(dominant_hz(out, 24000) - TONE_HZ) < 3


def test_resampler_mono_to_stereo(tone: bytes) -> None:
    resampler = Resampler(RATE, 48000, 1, 2)
    out = resampler.convert(tone) + resampler.flush()
    frames = np.frombuffer(out, dtype="<i2").reshape(-1, 2)
    assert abs(len(frames) - len(tone) / 2 * 48000 / RATE) <= 4
    assert np.array_equal(frames[:, 0], frames[:, 1])
    assert abs(dominant_hz(out, 48000, 2) - TONE_HZ) < 3


def test_resampler_stereo_to_mono_averages() -> None:
    stereo = np.array([100, 300, -50, 50, 7, 7], dtype="<i2").tobytes()
    out = Resampler(RATE, RATE, 2, 1).convert(stereo)
    assert np.frombuffer(out, dtype="<i2").tolist() == [200, 0, 7]


def test_resampler_chunked_matches_one_shot(tone: bytes) -> None:
    one_shot = Resampler(RATE, 16000)
    whole = one_shot.convert(tone) + one_shot.flush()
    chunked = Resampler(RATE, 16000)
    parts = [chunked.convert(piece) for piece in chunks(tone)]
    assert sum(map(len, parts)) > 0.9 * len(whole)  # output flows before the flush
    streamed = b"".join(parts) + chunked.flush()
    assert abs(len(streamed) - len(whole)) <= 2 * 4
    # The resampler is reusable once flushed.
    again = chunked.convert(tone) + chunked.flush()
    assert len(again) == len(whole)


def test_resampler_passthrough_and_partial_samples(tone: bytes) -> None:
    resampler = Resampler(RATE, RATE)
    assert resampler.convert(tone) is tone
    assert resampler.convert(tone[:3]) == tone[:2]
    assert resampler.convert(tone[3:6]) == tone[2:6]
    assert resampler.flush() == b""


def test_mulaw_is_8khz_bytes() -> None:
    one_second = speechy_tone(1.0)
    encoder = StreamEncoder("mulaw", RATE)
    data = stream_encode(encoder, one_second)
    assert abs(len(data) - 8000) <= 16
    pcm, rate, _ = decode_to_pcm(data, "mulaw")
    assert rate == 8000
    assert abs(dominant_hz(pcm, rate) - TONE_HZ) < 3


@pytest.mark.parametrize("fmt", ["ogg", "wma", "", "mp4"])
def test_unknown_format_raises(fmt: str) -> None:
    with pytest.raises(UnsupportedFormatError, match="mp3, opus, aac, flac, wav, pcm"):
        StreamEncoder(fmt, RATE)
    with pytest.raises(ValueError):
        encode_all(b"\x00\x00", fmt, RATE)


def test_encode_after_flush_raises(tone: bytes) -> None:
    encoder = StreamEncoder("mp3", RATE)
    encoder.encode(tone)
    assert encoder.flush()
    assert encoder.flush() == b""
    with pytest.raises(RuntimeError):
        encoder.encode(tone)


def test_abandoned_encoder_closes(tone: bytes) -> None:
    encoder = StreamEncoder("opus", RATE)
    encoder.encode(tone[:4000])
    encoder.close()
    assert encoder.flush() == b""


def test_mono_to_stereo_keeps_full_level(tone: bytes) -> None:
    """Discord plays stereo: a mono voice must not come out 3 dB quieter on each side."""
    mono_peak = np.abs(np.frombuffer(tone, dtype="<i2")).max()
    stereo = Resampler(RATE, RATE, 1, 2).convert(tone)
    resampled = Resampler(RATE, 48000, 1, 2)
    upsampled = resampled.convert(tone) + resampled.flush()
    for out in (stereo, upsampled):
        frames = np.frombuffer(out, dtype="<i2").reshape(-1, 2)
        assert np.abs(frames).max() == pytest.approx(mono_peak, rel=0.05)
