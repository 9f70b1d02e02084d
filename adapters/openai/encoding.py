"""Audio encoding for the adapter's answers, off the event loop.

pcm is OpenAI's 24 kHz; opus uses its encoder's 48 kHz; mp3, aac, flac and wav keep the
engine's rate unless ``output_rate`` is configured. Every codec call runs in the adapter's
thread pool so one answer's encoding never stalls the others.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from hub.audio import Resampler, StreamEncoder, wav_bytes

PCM_RATE = 24000
"""OpenAI's ``pcm``: 24 kHz, 16-bit little-endian, mono, no header."""


def output_rate(fmt: str, configured: int | None) -> int | None:
    """Rate wish for the encoder: pcm is fixed, opus uses its encoder's default (48 kHz)."""
    if fmt == "pcm":
        return PCM_RATE
    if fmt == "opus":
        return None
    return configured


class AsyncEncoder:
    """A :class:`StreamEncoder` driven from the loop; every call runs in the pool, in order."""

    def __init__(self, executor: ThreadPoolExecutor, encoder: StreamEncoder) -> None:
        self._executor = executor
        self._encoder = encoder
        self._lock = threading.Lock()  # close() may run while an encode is in flight

    @classmethod
    async def open(
        cls, executor: ThreadPoolExecutor, fmt: str, input_rate: int, rate: int | None
    ) -> AsyncEncoder:
        loop = asyncio.get_running_loop()
        encoder = await loop.run_in_executor(
            executor, lambda: StreamEncoder(fmt, input_rate, output_rate=rate)
        )
        return cls(executor, encoder)

    @property
    def output_rate(self) -> int:
        return self._encoder.output_rate

    def _locked(self, call: Callable[..., bytes], *args: bytes) -> bytes:
        with self._lock:
            return call(*args)

    async def encode(self, pcm: bytes) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._locked, self._encoder.encode, pcm)

    async def flush(self) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._locked, self._encoder.flush)

    def close(self) -> None:
        """Release the codec (in the pool, after any encode still running)."""

        def close() -> bytes:
            self._encoder.close()
            return b""

        try:
            self._executor.submit(self._locked, close)
        except RuntimeError:  # pool already shut down: the app is stopping
            self._encoder.close()


def encode_whole(pcm: bytes, fmt: str, input_rate: int, rate: int | None) -> tuple[bytes, int]:
    """A complete file (WAV with exact sizes) and its sample rate; runs in the pool."""
    if fmt == "wav":
        out_rate = rate or input_rate
        resampler = Resampler(input_rate, out_rate)
        return wav_bytes(resampler.convert(pcm) + resampler.flush(), out_rate), out_rate
    encoder = StreamEncoder(fmt, input_rate, output_rate=rate)
    return encoder.encode(pcm) + encoder.flush(), encoder.output_rate
