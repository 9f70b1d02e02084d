"""A stream's audio conversion, driven from the event loop.

PCM and mu-law are cheap and run inline. Compressed encodings (mp3, Ogg Opus, AAC, FLAC,
Opus packets) run in the hub client's small audio thread pool, one call at a time per
stream (the stream awaits each before the next), so one answer's encoding never stalls
the loop or the other streams. The converter itself is made on first use, in the pool
too: opening a codec is codec work.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Executor

from hub.audio import AudioConverter, OutputFormat


class StreamConversion:
    def __init__(self, output: OutputFormat, executor: Executor | None) -> None:
        self.output = output
        self._executor = executor if output.compressed else None
        self._converter: AudioConverter | None = None
        self._lock = threading.Lock()  # close() may run while a conversion is in flight

    @property
    def seconds(self) -> float:
        """Audio time converted so far (at the output rate)."""
        return self._converter.seconds if self._converter is not None else 0.0

    async def convert(self, pcm: bytes, rate: int) -> list[bytes]:
        return await self._run(lambda: self._get().convert(pcm, rate))

    async def flush(self) -> list[bytes]:
        return await self._run(lambda: self._get().flush())

    def close(self) -> None:
        """Release the codec (in the pool, after any conversion still running)."""
        if self._executor is None:
            self._locked(self._close)
            return
        try:
            self._executor.submit(self._locked, self._close)
        except RuntimeError:  # pool already shut down: the client is closing
            self._locked(self._close)

    def _get(self) -> AudioConverter:
        if self._converter is None:
            self._converter = AudioConverter(self.output)
        return self._converter

    def _close(self) -> list[bytes]:
        if self._converter is not None:
            self._converter.close()
        return []

    def _locked(self, call: Callable[[], list[bytes]]) -> list[bytes]:
        with self._lock:
            return call()

    async def _run(self, call: Callable[[], list[bytes]]) -> list[bytes]:
        if self._executor is None:
            return call()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._locked, call)
