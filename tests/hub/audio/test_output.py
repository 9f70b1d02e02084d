"""Tests for AudioSpec and AudioConverter: exact frames, Opus packets, rates, containers."""

from __future__ import annotations

import av
import numpy as np
import pytest

from hub.audio import AudioConverter, AudioSpec, UndecodableAudioError, decode_to_pcm
from tests.hub.audio.test_audio import DURATION, RATE, TONE_HZ, chunks, dominant_hz, speechy_tone

CONTAINER_RATES = {"mp3": 22050, "opus": 48000, "aac": 22050, "flac": 22050, "wav": 22050}
TOLERANCE = {"mp3": 0.1, "opus": 0.1, "aac": 0.1, "flac": 0.02, "wav": 0.02}


@pytest.fixture(scope="module")
def tone() -> bytes:
    return speechy_tone(DURATION)


def convert(spec: AudioSpec, pieces: list[tuple[bytes, int]], native: int = RATE) -> list[bytes]:
    converter = AudioConverter.for_spec(spec, native)
    out = [data for pcm, rate in pieces for data in converter.convert(pcm, rate)]
    return out + converter.flush()


def test_resolved_outputs() -> None:
    assert AudioSpec().resolve(RATE).rate == RATE
    mulaw = AudioSpec("mulaw", frame_ms=20).resolve(RATE)
    assert (mulaw.rate, mulaw.channels, mulaw.frame_bytes) == (8000, 1, 160)
    assert mulaw.content_type == "audio/basic"
    discord = AudioSpec("opus_packets", channels=2).resolve(RATE)
    assert (discord.rate, discord.channels, discord.frame_samples) == (48000, 2, 960)
    assert AudioSpec("pcm", rate=48000, channels=2, frame_ms=20).resolve(RATE).frame_bytes == 3840
    assert AudioSpec("mp3", rate=7000).resolve(RATE).rate == 8000  # the codec's rates
    assert AudioSpec("opus", rate=22050).resolve(RATE).rate == 24000
    assert AudioSpec("flac", rate=96000).resolve(RATE).rate == 96000  # flac takes any rate
    assert AudioSpec("MP3").encoding == "mp3"


@pytest.mark.parametrize(
    "spec",
    [
        {"encoding": "ogg"},
        {"encoding": "mulaw", "channels": 2},
        {"encoding": "pcm", "frame_ms": 0},
        {"encoding": "pcm", "frame_ms": 20, "frame_samples": 441},
        {"encoding": "opus_packets", "frame_ms": 30},
        {"encoding": "pcm", "rate": 0},
    ],
)
def test_bad_specs_raise(spec: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AudioSpec(**spec)  # type: ignore[arg-type]


def test_fractional_frames_are_refused() -> None:
    with pytest.raises(ValueError, match="whole number of samples"):
        AudioSpec("pcm", frame_ms=0.1).resolve(RATE)


def test_pcm_passthrough_is_untouched(tone: bytes) -> None:
    converter = AudioConverter.for_spec(AudioSpec(), RATE)
    assert converter.convert(tone, RATE)[0] is tone
    assert converter.flush() == []


@pytest.mark.parametrize(("rate", "channels"), [(RATE, 1), (8000, 1), (48000, 2)])
def test_pcm_frames_are_exact_and_padded(tone: bytes, rate: int, channels: int) -> None:
    spec = AudioSpec("pcm", rate=rate, channels=channels, frame_ms=20)
    frames = convert(spec, [(piece, RATE) for piece in chunks(tone)])
    size = rate * 20 // 1000 * channels * 2
    assert {len(frame) for frame in frames} == {size}
    expected_seconds = len(tone) / 2 / RATE
    assert abs(len(frames) * 0.02 - expected_seconds) <= 0.021
    if rate == RATE:  # no resampling: exactly the input, then zeros
        whole = b"".join(frames)
        assert whole[: len(tone)] == tone
        assert set(whole[len(tone) :]) <= {0} and len(whole) - len(tone) < size


def test_unpadded_frames_keep_the_audio_exact(tone: bytes) -> None:
    frames = convert(AudioSpec("pcm", frame_samples=1024, pad=False), [(tone, RATE)])
    assert b"".join(frames) == tone
    assert {len(frame) for frame in frames[:-1]} == {2048} and len(frames[-1]) < 2048


def test_mulaw_frames_are_160_bytes_padded_with_silence() -> None:
    tone = speechy_tone(1.505)  # 75 frames and a quarter
    frames = convert(AudioSpec("mulaw", frame_ms=20), [(p, RATE) for p in chunks(tone)])
    assert {len(frame) for frame in frames} == {160}
    assert len(frames) == 76
    assert frames[-1].endswith(b"\xff")  # mu-law silence
    pcm, rate, _ = decode_to_pcm(b"".join(frames), "mulaw")
    assert rate == 8000
    assert abs(dominant_hz(pcm, rate) - TONE_HZ) < 3


def test_opus_packets_decode_to_the_right_duration(tone: bytes) -> None:
    spec = AudioSpec("opus_packets", channels=2, frame_ms=20)
    packets = convert(spec, [(p, RATE) for p in chunks(tone)])
    assert abs(len(packets) - DURATION / 0.02) <= 2
    decoder = av.CodecContext.create("opus", "r")
    frames = [frame for packet in packets for frame in decoder.decode(av.Packet(packet))]
    assert {frame.samples for frame in frames} == {960}
    assert {(frame.sample_rate, frame.layout.nb_channels) for frame in frames} == {(48000, 2)}
    seconds = sum(frame.samples for frame in frames) / 48000
    assert abs(seconds - DURATION) <= 0.05
    to_s16 = av.AudioResampler(format="s16", layout="mono", rate=48000)
    pcm = b"".join(out.to_ndarray().tobytes() for frame in frames for out in to_s16.resample(frame))
    assert abs(dominant_hz(pcm, 48000) - TONE_HZ) < 3


@pytest.mark.parametrize("out_rate", [8000, 16000, 24000, 48000])
def test_resampling_keeps_duration_and_pitch(tone: bytes, out_rate: int) -> None:
    pcm = b"".join(convert(AudioSpec("pcm", rate=out_rate), [(p, RATE) for p in chunks(tone)]))
    assert abs(len(pcm) / 2 / out_rate - DURATION) <= 0.002
    assert abs(dominant_hz(pcm, out_rate) - TONE_HZ) < 3


def test_a_sentence_at_another_rate_joins_the_stream() -> None:
    """A fallback voice at 16 kHz between two 22050 Hz sentences: one rate out, no loss."""
    first, fallback, last = speechy_tone(0.5), speechy_tone(0.5, 16000), speechy_tone(0.5)
    pieces = [*((p, RATE) for p in chunks(first)), *((p, 16000) for p in chunks(fallback))]
    pcm = b"".join(convert(AudioSpec(), [*pieces, (last, RATE)]))
    assert abs(len(pcm) / 2 / RATE - 1.5) <= 0.002
    assert pcm.startswith(first) and pcm.endswith(last)
    assert abs(dominant_hz(pcm, RATE) - TONE_HZ) < 3


@pytest.mark.parametrize("fmt", list(CONTAINER_RATES))
def test_every_container_decodes_to_duration_and_rate(tone: bytes, fmt: str) -> None:
    data = b"".join(convert(AudioSpec(fmt), [(p, RATE) for p in chunks(tone)]))
    pcm, rate, channels = decode_to_pcm(data, fmt)
    assert (rate, channels) == (CONTAINER_RATES[fmt], 1)
    assert abs(len(pcm) / 2 / rate - DURATION) <= TOLERANCE[fmt]
    assert abs(dominant_hz(pcm, rate) - TONE_HZ) < 3
    if fmt != "opus":  # and each at a wished rate
        data = b"".join(convert(AudioSpec(fmt, rate=16000), [(tone, RATE)]))
        assert decode_to_pcm(data, fmt)[1] == 16000


def test_converter_refuses_audio_after_flush(tone: bytes) -> None:
    converter = AudioConverter.for_spec(AudioSpec("mp3"), RATE)
    converter.convert(tone, RATE)
    assert converter.flush()
    assert converter.flush() == []
    with pytest.raises(RuntimeError):
        converter.convert(tone, RATE)


def test_undecodable_data_is_a_value_error() -> None:
    with pytest.raises(UndecodableAudioError):
        decode_to_pcm(b"RIFF but not really a wave file", "wav")


def test_stereo_output_of_mono_keeps_full_level() -> None:
    tone = speechy_tone(DURATION)
    peak = np.abs(np.frombuffer(tone, dtype="<i2")).max()
    converter = AudioConverter.for_spec(AudioSpec("pcm", rate=48000, channels=2), RATE)
    out = b"".join(converter.convert(tone, RATE) + converter.flush())
    frames = np.frombuffer(out, dtype="<i2").reshape(-1, 2)
    assert np.abs(frames).max() == pytest.approx(peak, rel=0.05)
    assert np.array_equal(frames[:, 0], frames[:, 1])
