"""Child processes of ``voicebus up``: started, restarted when they crash, stopped cleanly,
and never left behind: each dies with the supervisor, however it dies (lifeline)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time

from hub.process.backoff import DEFAULT_BACKOFF, Backoff
from hub.process.lifeline import preexec

_LOGGER = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0
"""Seconds a child gets to finish what it accepted after SIGTERM before it is killed."""


class ManagedProcess:
    """A child process that is restarted with backoff until ``stop()``: the pause grows with
    each quick crash and starts over after a healthy run (``Backoff.healthy_after``)."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = {**os.environ, **(env or {})}
        self.backoff = backoff
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self.pause: float | None = None
        """Seconds waited before the latest restart (None before the first)."""
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"supervise-{self.name}")

    async def _run(self) -> None:
        while not self._stopping:
            began = time.monotonic()
            # Own session: a terminal's Ctrl-C reaches only the supervisor, which then stops
            # children in order (engines drain before NATS goes away).
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env, start_new_session=True, preexec_fn=preexec
            )
            _LOGGER.info("started %s (pid %d)", self.name, self.process.pid)
            code = await self.process.wait()
            if self._stopping:
                return
            self.restarts += 1
            self.pause = self.backoff.pause(self.pause, time.monotonic() - began)
            _LOGGER.error(
                "%s exited with code %s; restarting in %.1f s", self.name, code, self.pause
            )
            await asyncio.sleep(self.pause)

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        self._stopping = True
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                _LOGGER.warning("%s did not stop within %.0f s; killing it", self.name, timeout)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
