"""Running a blocking engine off the event loop, as an async stream of PCM.

The engine's ``synthesize`` runs in a worker thread of the given executor; each PCM chunk
is handed to the event loop as it is made. Setting ``cancelled`` stops the engine between
chunks (and closes its generator), so cancellation never waits for a whole long text.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor

from hub.audio import TimeStretcher
from hub.contract.schemas import SynthesisRequest
from hub.engine.base import Engine, find_voice

_DONE = object()


async def pcm_stream(
    engine: Engine,
    request: SynthesisRequest,
    executor: Executor,
    cancelled: threading.Event,
) -> AsyncIterator[bytes]:
    """Yield the engine's PCM; raises what the engine raised. Leaving early cancels."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    worker = loop.run_in_executor(executor, _produce, engine, request, cancelled, queue, loop)
    finished = False
    try:
        while (item := await queue.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item
        finished = True
    finally:
        if not finished:
            cancelled.set()  # the consumer left early or the engine failed: stop it
        await worker


def _produce(
    engine: Engine,
    request: SynthesisRequest,
    cancelled: threading.Event,
    out: asyncio.Queue[object],
    loop: asyncio.AbstractEventLoop,
) -> None:
    """Worker thread: run the engine and hand each chunk to the loop."""
    chunks: Iterator[bytes] | None = None
    try:
        chunks = iter(engine.synthesize(request))
        for pcm in _at_speed(engine, request, chunks):
            if cancelled.is_set():
                break
            if pcm:
                loop.call_soon_threadsafe(out.put_nowait, pcm)
    except Exception as error:
        loop.call_soon_threadsafe(out.put_nowait, error)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        loop.call_soon_threadsafe(out.put_nowait, _DONE)


def _at_speed(
    engine: Engine, request: SynthesisRequest, chunks: Iterator[bytes]
) -> Iterator[bytes]:
    """An engine without a speed of its own is time-stretched here, so every engine's
    ``speed`` means the same: ``1/speed`` of the normal duration."""
    if engine.capabilities.speed or request.speed == 1.0:
        yield from chunks
        return
    stretcher = TimeStretcher(find_voice(engine, request.voice).sample_rate, request.speed)
    for pcm in chunks:
        yield stretcher.stretch(pcm)
    yield stretcher.flush()
