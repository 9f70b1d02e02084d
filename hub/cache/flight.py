"""Single flight: one synthesis for identical sentences asked for at the same time.

A :class:`Flight` owns the engine's answer for one key: its own task reads the sentence's
PCM into a buffer that every listener reads from the start, live. A listener that goes
away detaches; only when the last one has gone is the engine's work cancelled, so one
client hanging up never cuts the audio of another. When the sentence is done the flight
hands its audio to ``on_done`` (which stores it) before it leaves the table, so a request
that comes in meanwhile still joins it instead of synthesizing again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from hub.cache.store import Clip


class Flight:
    """One sentence being made for one or more listeners."""

    def __init__(
        self, call: Any, on_done: Callable[[Flight], Awaitable[None]], engine: str = ""
    ) -> None:
        self.call = call
        """The inner source's sentence audio (``chunks()``, ``cancel()``, ``start``, ...)."""
        self.engine = engine
        """The engine the sentence was asked of (a fallback's audio is not its clip)."""
        self.abandoned = False
        """Every listener left before the end: it is being cancelled, nobody may join."""
        self.chunks: list[Any] = []
        self.error: BaseException | None = None
        self.done = False
        self.listeners = 0
        self._changed = asyncio.Event()
        self._on_done = on_done
        self._task = asyncio.create_task(self._pump(), name="cache-flight")

    @property
    def succeeded(self) -> bool:
        return self.done and self.error is None

    def clip(self) -> Clip | None:
        """The finished sentence as one clip; None until then, or if it cannot be one."""
        rates = {chunk.rate for chunk in self.chunks}
        if not self.succeeded or len(rates) != 1 or self.call.fallbacks:
            return None
        return Clip(b"".join(chunk.pcm for chunk in self.chunks), rates.pop(), self.engine)

    @property
    def task(self) -> asyncio.Task[None]:
        """Reads the sentence, then runs ``on_done``."""
        return self._task

    async def _pump(self) -> None:
        try:
            async for chunk in self.call.chunks():
                self.chunks.append(chunk)
                self._wake()
        except asyncio.CancelledError:
            self.error = asyncio.CancelledError()
            raise
        except Exception as error:
            self.error = error
        finally:
            self.done = True
            self._wake()
            await self._on_done(self)

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def join(self) -> None:
        if self.abandoned:
            raise RuntimeError("joined an abandoned flight")
        self.listeners += 1

    async def read(self) -> AsyncIterator[Any]:
        """Every chunk from the first, as it comes; raises the sentence's error."""
        index = 0
        while True:
            while index < len(self.chunks):
                yield self.chunks[index]
                index += 1
            if self.done:
                if self.error is not None:
                    raise self.error
                return
            await self._changed.wait()

    async def leave(self, reason: str) -> None:
        """A listener went away; the last one's leaving stops the engine."""
        self.listeners -= 1
        if self.listeners > 0 or self.done:
            return
        self.abandoned = True
        await self.call.cancel(reason)
        self._task.cancel()
        await asyncio.wait([self._task])  # not `await task`: the caller's own cancel stays its own
