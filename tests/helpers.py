"""Checks that audio is speech of the right words, shared by the tests."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from hub.audio import encode_all


def free_port() -> int:
    """A TCP port nobody listens on right now (on loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pcm_to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def resample_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == 16000:
        return samples
    positions = np.arange(0, len(samples), rate / 16000)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def transcribe(model: Any, pcm: bytes, rate: int) -> str:
    segments, _ = model.transcribe(
        resample_16k(pcm_to_float(pcm), rate), language="en", beam_size=1
    )
    return " ".join(segment.text for segment in segments).strip()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, hyp_word in enumerate(hyp, 1):
            current = min(row[j] + 1, row[j - 1] + 1, previous + (ref_word != hyp_word))
            previous, row[j] = row[j], current
    return row[len(hyp)] / max(1, len(ref))


def speech_seconds_range(text: str) -> tuple[float, float]:
    """Plausible duration of ``text`` read aloud at normal speed (generous bounds)."""
    count = len(words(text))
    return 0.2 * count, 0.2 + 0.75 * count


def assert_is_speech(pcm: bytes, rate: int, text: str, model: Any | None = None) -> None:
    """PCM is speech of ``text``: right length for the words, not silent, and (with a Whisper
    model) transcribed back to the same words."""
    samples = pcm_to_float(pcm)
    seconds = len(samples) / rate
    low, high = speech_seconds_range(text)
    assert low <= seconds <= high, f"{seconds:.2f} s of audio for {len(words(text))} words"
    assert float(np.sqrt(np.mean(samples**2))) > 0.02, "audio is (nearly) silent"
    if model is not None:
        heard = transcribe(model, pcm, rate)
        assert word_error_rate(text, heard) <= 0.25, f"heard {heard!r} for {text!r}"


async def collect(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


STORY = [
    "The morning train left the station right on time.",
    "A young woman read a book about the ocean.",
    "Outside the window, green fields rolled past slowly.",
    "The conductor checked every ticket with a smile.",
    "Somewhere behind them, a child was laughing.",
    "By noon the sky had turned a deep shade of grey.",
    "Rain began to tap gently against the glass.",
    "She closed her book and watched the storm arrive.",
    "The lights inside the carriage flickered twice.",
    "Then the train slowed down near a small village.",
    "People on the platform waved their colorful umbrellas.",  # as Whisper spells it
    "At last the sun came out over the distant hills.",
]


def story(count: int) -> str:
    """``count`` distinct sentences (cycling), easy for Whisper to check."""
    return " ".join(STORY[i % len(STORY)] for i in range(count))


def speechlike(seconds: float, rate: int = 22050, channels: int = 1, seed: int = 0) -> np.ndarray:
    """A voiced-sounding test signal: harmonics of a wobbling pitch under a syllable envelope."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = 120 + 20 * np.sin(2 * np.pi * 0.7 * t) + rng.uniform(-5, 5)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 8))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t) ** 2
    mono = (0.25 * voice * envelope).astype(np.float32)
    if channels == 1:
        return mono
    return np.repeat(mono[:, None], channels, axis=1)


def wav_clip(seconds: float, rate: int = 22050, channels: int = 1, seed: int = 0) -> bytes:
    samples = (speechlike(seconds, rate, channels, seed) * 32767).astype("<i2")
    return encode_all(samples.tobytes(), "wav", rate, channels=channels)
