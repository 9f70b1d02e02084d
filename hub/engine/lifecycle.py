"""Loading and unloading an engine's model: on command, on demand, and when idle.

An engine that can free its model implements ``load()`` and ``unload()`` (blocking; they run
in the inference thread pool). Unloading waits until no request is using the model; a
request for an unloaded engine loads it first when ``load_on_demand`` is on, or is refused
with ``engine_unavailable`` so the client falls back to another engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor

from hub.contract.errors import EngineUnavailableError, InvalidRequestError
from hub.contract.schemas import EngineState
from hub.engine.base import Engine

_LOGGER = logging.getLogger(__name__)


def can_unload(engine: Engine) -> bool:
    return callable(getattr(engine, "unload", None)) and callable(getattr(engine, "load", None))


class ModelLifecycle:
    def __init__(
        self,
        engine: Engine,
        executor: Executor,
        on_change: Callable[[], Awaitable[None]],
        *,
        load_on_demand: bool,
        keep_warm: bool,
        idle_unload_seconds: float,
    ) -> None:
        self.engine = engine
        self.state = EngineState.WARM
        self._load_on_demand = load_on_demand
        self.paused = False
        """Unloaded by command: stays unloaded (requests fall back) until loaded again."""
        self.keep_warm = keep_warm
        self.idle_unload_seconds = idle_unload_seconds
        self._executor = executor
        self._on_change = on_change
        self._users = 0
        self._idle = asyncio.Condition()
        self._switch = asyncio.Lock()
        self._last_used = time.monotonic()

    @property
    def load_on_demand(self) -> bool:
        return self._load_on_demand and not self.paused

    def accepts_requests(self) -> bool:
        return self.state is EngineState.WARM or (
            self.state in (EngineState.UNLOADED, EngineState.LOADING) and self.load_on_demand
        )

    @contextlib.asynccontextmanager
    async def in_use(self) -> AsyncIterator[None]:
        """Hold the model loaded while a request runs (loading it first if needed)."""
        if self.paused and self.state is not EngineState.WARM:
            raise EngineUnavailableError(
                f"engine {self.engine.name} was unloaded", "it loads again on command"
            )
        await self._ensure_loaded()
        async with self._idle:
            self._users += 1
        try:
            yield
        finally:
            self._last_used = time.monotonic()
            async with self._idle:
                self._users -= 1
                self._idle.notify_all()

    async def load(self) -> None:
        """Load on command; also lifts a pause."""
        self.paused = False
        await self._ensure_loaded()

    async def _ensure_loaded(self) -> None:
        if self.state is EngineState.WARM:
            return
        async with self._switch:
            if self.state is EngineState.WARM:
                return
            await self._set(EngineState.LOADING)
            began = time.perf_counter()
            try:
                await asyncio.get_running_loop().run_in_executor(self._executor, self.engine.load)  # type: ignore[attr-defined]
            except Exception:
                await self._set(EngineState.UNLOADED)
                raise
            _LOGGER.info("%s loaded in %.1f s", self.engine.name, time.perf_counter() - began)
            await self._set(EngineState.WARM)

    async def unload(self, *, pause: bool = True) -> None:
        """Free the model. ``pause``: keep it unloaded until ``load()``; otherwise (idle
        unload) the next request loads it again."""
        if not can_unload(self.engine):
            raise InvalidRequestError(f"engine {self.engine.name} cannot unload its model")
        self.paused = self.paused or pause
        async with self._switch:
            if self.state is not EngineState.WARM:
                return
            async with self._idle:
                await self._idle.wait_for(lambda: self._users == 0)
                await asyncio.get_running_loop().run_in_executor(self._executor, self.engine.unload)  # type: ignore[attr-defined]
                await self._set(EngineState.UNLOADED)
            _LOGGER.info("%s unloaded its model", self.engine.name)

    async def idle_loop(self) -> None:
        """Unload after ``idle_unload_seconds`` without requests, unless kept warm."""
        if self.idle_unload_seconds <= 0 or not can_unload(self.engine):
            return
        while True:
            await asyncio.sleep(min(self.idle_unload_seconds / 4, 5.0))
            idle_for = time.monotonic() - self._last_used
            if (
                self.state is EngineState.WARM
                and not self.keep_warm
                and self._users == 0
                and idle_for >= self.idle_unload_seconds
            ):
                _LOGGER.info("%s idle for %.0f s; unloading", self.engine.name, idle_for)
                await self.unload(pause=False)

    async def _set(self, state: EngineState) -> None:
        self.state = state
        await self._on_change()
