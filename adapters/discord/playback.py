"""One queue per guild: utterances play one after another, never overlapping.

Each guild has its own worker task, so a busy guild never holds up another's first audio
(the engines take every stream's first sentence first: requests carry the sentence index as
their priority). ``skip()`` ends the current utterance only and closes its stream, which
cancels its synthesis on the bus; ``stop()`` also empties the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.discord.source import OUTPUT, HubAudioSource, pump
from adapters.discord.voice import wait_connected
from hub.client import HubClient
from hub.contract.errors import VoicebusError

_LOGGER = logging.getLogger(__name__)


class VoiceLike(Protocol):
    """What the queue needs of a ``discord.VoiceClient``."""

    def is_connected(self) -> bool: ...
    def play(self, source: Any, *, after: Callable[[Exception | None], Any] | None) -> None: ...
    def stop(self) -> None: ...


@dataclass
class Utterance:
    text: str
    voice: str | None = None
    speed: float = 1.0
    on_error: Callable[[str], Awaitable[None]] | None = None
    """Tells the user why it could not be spoken (a plain sentence)."""
    started: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    source: HubAudioSource | None = None


class QueueFullError(Exception):
    pass


class GuildPlayer:
    def __init__(self, hub: HubClient, guild_id: int, *, max_queue: int = 20) -> None:
        self.hub = hub
        self.guild_id = guild_id
        self.voice: VoiceLike | None = None
        self._max_queue = max_queue
        self._queue: asyncio.Queue[Utterance] = asyncio.Queue()
        self._current: Utterance | None = None
        self._pump: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self.history: deque[str] = deque(maxlen=20)
        """The texts most recently queued, newest last."""

    @property
    def current(self) -> Utterance | None:
        return self._current

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def enqueue(self, utterance: Utterance) -> int:
        """Queue it; returns its place (0: plays next). Raises QueueFullError."""
        if self._queue.qsize() >= self._max_queue:
            raise QueueFullError(f"{self._queue.qsize()} messages are waiting")
        self._queue.put_nowait(utterance)
        self.history.append(utterance.text)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name=f"discord-guild-{self.guild_id}")
        return self._queue.qsize() - 1 + (self._current is not None)

    async def skip(self) -> bool:
        """End the current utterance only; True if one was playing."""
        current = self._current
        if current is None:
            return False
        if current.source is not None:
            current.source.stop()
        if self.voice is not None:
            self.voice.stop()
        if self._pump is not None:
            self._pump.cancel()  # closes the stream: a cancel goes to the engines
        current.done.set()
        return True

    async def stop(self) -> int:
        """Empty the queue and end the current utterance; returns how many were dropped."""
        dropped = 0
        while not self._queue.empty():
            self._queue.get_nowait().done.set()
            dropped += 1
        return dropped + await self.skip()

    async def close(self) -> None:
        await self.stop()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _run(self) -> None:
        while not self._queue.empty():
            utterance = self._queue.get_nowait()
            if utterance.done.is_set():
                continue
            self._current = utterance
            try:
                await self._speak(utterance)
            except Exception as error:  # one bad utterance never stops the guild's queue
                _LOGGER.exception("guild %s: utterance failed", self.guild_id)
                await _tell(utterance, _explain(error))
            finally:
                utterance.done.set()
                self._current = None
                self._pump = None

    async def _speak(self, utterance: Utterance) -> None:
        voice = self.voice
        if voice is None or not await wait_connected(voice):  # waits out a reconnection
            await _tell(utterance, "I am not in a voice channel: use /join first.")
            return
        stream = await self.hub.open(
            utterance.text, utterance.voice, speed=utterance.speed, output=OUTPUT
        )
        source = utterance.source = HubAudioSource()
        loop = asyncio.get_running_loop()
        finished = asyncio.Event()
        self._pump = asyncio.create_task(_pump_and_close(stream, source))

        def after(error: Exception | None) -> None:  # discord.py's player thread
            if error is not None:
                _LOGGER.warning("guild %s: playback error: %s", self.guild_id, error)
            loop.call_soon_threadsafe(finished.set)

        try:
            voice.play(source, after=after)
        except Exception:
            self._pump.cancel()
            raise
        utterance.started.set()
        done = asyncio.create_task(utterance.done.wait())
        await asyncio.wait(
            [asyncio.create_task(finished.wait()), done], return_when=asyncio.FIRST_COMPLETED
        )
        done.cancel()
        if not finished.is_set():  # skipped: the player thread ends at its next read
            await finished.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
        if source.error is not None:
            await _tell(utterance, _explain(source.error))


async def _pump_and_close(stream: Any, source: HubAudioSource) -> None:
    try:
        await pump(stream, source)
    finally:
        await stream.aclose()


async def _tell(utterance: Utterance, message: str) -> None:
    if utterance.on_error is not None:
        try:
            await utterance.on_error(message)
        except Exception as error:  # the user left, the token expired, ...
            _LOGGER.info("could not tell the user %r: %s", message, error)


def _explain(error: Exception) -> str:
    if isinstance(error, VoicebusError):
        hint = f" ({error.suggestion})" if error.suggestion else ""
        return f"I could not say that: {error.message}{hint}."
    return "I could not say that: something went wrong on my side."
