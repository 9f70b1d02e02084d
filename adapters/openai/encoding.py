"""The output spec of each OpenAI ``response_format``; hub/audio does the converting.

pcm is OpenAI's 24 kHz; opus uses its encoder's 48 kHz; mp3, aac, flac and wav keep the
engine's rate unless ``output_rate`` is configured. The hub client encodes in its own
thread pool, off the event loop.
"""

from __future__ import annotations

from hub.audio import AudioSpec

PCM_RATE = 24000
"""OpenAI's ``pcm``: 24 kHz, 16-bit little-endian, mono, no header."""


def output_spec(fmt: str, configured_rate: int | None) -> AudioSpec:
    """What the hub stream should yield for ``response_format=fmt``."""
    if fmt == "pcm":
        return AudioSpec("pcm", rate=PCM_RATE)
    if fmt == "opus":
        return AudioSpec("opus")
    return AudioSpec(fmt, rate=configured_rate)
