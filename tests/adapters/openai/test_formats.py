"""OpenAI adapter: every response format through the official SDK decodes to real speech."""

from __future__ import annotations

import asyncio

import pytest

from hub.audio import decode_to_pcm
from tests.adapters.openai.support import RunningAdapter, speech_seconds
from tests.helpers import assert_is_speech, speech_seconds_range

TEXT = "The quick brown fox jumps over the lazy dog. It was a sunny day in the park."
ONE_SENTENCE = "Please bring me a cup of tea with some milk."

# Rates: pcm is OpenAI's 24 kHz; opus decodes at 48 kHz; the rest keep Piper's 22050 Hz.
RATES = {"mp3": 22050, "opus": 48000, "aac": 22050, "flac": 22050, "wav": 22050}
# Codec padding the decoder cannot trim (mp3 without a LAME tag, ADTS AAC, Opus pre-skip),
# on top of Piper's own run-to-run variation (its durations are sampled, a few percent).
TOLERANCE = {"mp3": 0.12, "opus": 0.12, "aac": 0.12, "flac": 0.02, "wav": 0.02}
RUN_TO_RUN = 0.05


@pytest.fixture(scope="module")
async def reference(openai_server: RunningAdapter) -> float:
    """Duration of TEXT as raw pcm: the yardstick for the encoded formats."""
    client = openai_server.async_client()
    audio = await client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format="pcm"
    )
    return speech_seconds(audio.content, 24000)


@pytest.mark.parametrize("fmt", list(RATES))
async def test_format_decodes_to_speech(
    openai_server: RunningAdapter, reference: float, fmt: str
) -> None:
    client = openai_server.async_client()
    audio = await client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format=fmt
    )
    assert audio.response.headers["x-voicebus-engine"] == "piper"
    assert audio.response.headers["x-voicebus-voice"] == "en_US-joe-medium"
    pcm, rate, channels = decode_to_pcm(audio.content, fmt)
    assert (rate, channels) == (RATES[fmt], 1)
    seconds = speech_seconds(pcm, rate)
    assert abs(seconds - reference) <= TOLERANCE[fmt] + RUN_TO_RUN * reference, (fmt, seconds)
    assert_is_speech(pcm, rate, TEXT)


async def test_pcm_is_24k_mono_s16le_speech(openai_server: RunningAdapter, whisper: object) -> None:
    client = openai_server.client()  # the synchronous SDK, off the loop
    audio = await asyncio.to_thread(
        client.audio.speech.create,
        model="gpt-4o-mini-tts",
        voice="nova",
        input=TEXT,
        response_format="pcm",
    )
    assert audio.response.headers["content-type"] == "audio/pcm"
    assert audio.response.headers["x-voicebus-sample-rate"] == "24000"
    assert len(audio.content) % 2 == 0
    # Raw samples, no header: decoding as 24 kHz s16le gives back exactly the bytes.
    pcm, rate, channels = decode_to_pcm(audio.content, "pcm", rate=24000)
    assert (pcm, rate, channels) == (audio.content, 24000, 1)
    assert not audio.content.startswith(b"RIFF")
    assert_is_speech(audio.content, 24000, TEXT, whisper)


async def test_single_sentence_is_answered_whole(openai_server: RunningAdapter) -> None:
    client = openai_server.async_client()
    audio = await client.audio.speech.create(
        model="tts-1", voice="alloy", input=ONE_SENTENCE, response_format="wav"
    )
    headers = audio.response.headers
    assert int(headers["content-length"]) == len(audio.content)
    assert "transfer-encoding" not in headers
    pcm, rate, _ = decode_to_pcm(audio.content, "wav")
    duration = float(headers["x-audio-duration"])
    assert duration == pytest.approx(speech_seconds(pcm, rate), abs=0.002)
    low, high = speech_seconds_range(ONE_SENTENCE)
    assert low <= duration <= high
    generation = float(headers["x-generation-time"])
    assert 0 < generation < 10
    # All three headers are rounded to 3 decimals: allow exactly that rounding, carried through
    # generation / duration, and nothing more.
    half_unit = 0.0005
    carried = half_unit * (1 + generation / duration) / duration
    rtf = float(headers["x-real-time-factor"])
    assert rtf == pytest.approx(generation / duration, abs=half_unit + carried + 1e-9)
    # A complete WAV with exact sizes, not a streaming header.
    assert int.from_bytes(audio.content[40:44], "little") == len(audio.content) - 44
    # Compressed formats stream even one sentence: encoding overlaps sending.
    mp3 = await client.audio.speech.create(model="tts-1", voice="alloy", input=ONE_SENTENCE)
    assert mp3.response.headers["transfer-encoding"] == "chunked"


async def test_multi_sentence_audio_is_streamed(openai_server: RunningAdapter) -> None:
    client = openai_server.async_client()
    audio = await client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format="mp3"
    )
    headers = audio.response.headers
    assert headers["transfer-encoding"] == "chunked"
    assert "x-audio-duration" not in headers
    assert headers["x-voicebus-sentences"] == "2"


async def test_speed_and_its_limits(openai_server: RunningAdapter) -> None:
    client = openai_server.async_client()

    async def seconds(speed: float) -> float:
        audio = await client.audio.speech.create(
            model="tts-1",
            voice="alloy",
            input="Good morning, everyone.",
            response_format="pcm",
            speed=speed,
        )
        return speech_seconds(audio.content, 24000)

    normal, fast, slowest, fastest = await asyncio.gather(
        seconds(1.0), seconds(2.0), seconds(0.25), seconds(4.0)
    )
    assert 0.35 < fast / normal < 0.7
    assert slowest > 2.5 * normal
    assert fastest < fast
