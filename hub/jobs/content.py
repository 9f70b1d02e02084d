"""A finished job's audio in any format, made from its stored canonical PCM, sentence by
sentence, through the hub's one converter (codec work in the given thread pool)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import Executor

from hub.audio import AudioConverter, AudioSpec
from hub.jobs.store import JobStore


async def encoded_content(
    store: JobStore, job_id: str, total: int, spec: AudioSpec, executor: Executor | None = None
) -> AsyncIterator[bytes]:
    """The bytes of the whole job in ``spec`` (rate None: the first sentence's rate)."""
    loop = asyncio.get_running_loop()
    converter: AudioConverter | None = None
    try:
        for index in range(total):
            pcm, rate = await store.get_sentence(job_id, index)
            if converter is None:
                converter = AudioConverter(spec.resolve(rate))
            for data in await loop.run_in_executor(executor, converter.convert, pcm, rate):
                yield data
        if converter is not None:
            for data in await loop.run_in_executor(executor, converter.flush):
                yield data
    finally:
        if converter is not None:
            converter.close()


async def first_rate(store: JobStore, job_id: str) -> int:
    """The rate of the job's first sentence (what a rate-less spec resolves to)."""
    _, rate = await store.get_sentence(job_id, 0)
    return rate
