"""Adapters under supervision: each runs as its own task, so one that fails never takes the
others down. A failure is one log line (the traceback only with debug logging), then the
adapter is built and started again after a growing pause (1 s, 2 s, ... 30 s; back to 1 s
after it ran for a minute). Every supervisor answers on the status subject, so ``/health``
and ``voicebus status`` see each adapter's state from any host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time

from nats.aio.msg import Msg

from hub.client import HubClient
from hub.contract.schemas import AdapterState, AdapterStatus, AdapterStatusList
from hub.plugins import AdapterPlugin
from hub.process.backoff import DEFAULT_BACKOFF, Backoff
from hub.settings import AdapterSettings

_LOGGER = logging.getLogger(__name__)


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class SupervisedAdapter:
    """One adapter, started again whenever it fails, until ``stop`` is set."""

    def __init__(
        self,
        plugin: AdapterPlugin,
        settings: AdapterSettings,
        hub: HubClient,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.plugin = plugin
        self.settings = settings
        self.hub = hub
        self.backoff = backoff
        self.state = AdapterState.STARTING
        self.since = time.time()
        self.restarts = 0
        self.error: str | None = None
        self._retry_at: float | None = None

    @property
    def name(self) -> str:
        return self.plugin.name

    def _enter(self, state: AdapterState, retry_in: float | None = None) -> None:
        self.state, self.since = state, time.time()
        self._retry_at = time.monotonic() + retry_in if retry_in is not None else None

    async def run(self, stop: asyncio.Event) -> None:
        delay = self.backoff.first
        while not stop.is_set():
            began = time.monotonic()
            try:
                await self._serve_once(stop)
            except Exception as error:  # the process edge for one adapter: log why, retry
                if stop.is_set():
                    _LOGGER.warning("adapter %s failed while stopping: %s", self.name, error)
                    break
                if time.monotonic() - began >= self.backoff.healthy_after:
                    delay = self.backoff.first
                self._failed(error, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * self.backoff.factor, self.backoff.ceiling)
                if not stop.is_set():
                    self.restarts += 1
        self._enter(AdapterState.STOPPED)

    async def _serve_once(self, stop: asyncio.Event) -> None:
        self._enter(AdapterState.STARTING)
        adapter = self.plugin.build(self.settings, self.hub)
        self._enter(AdapterState.RUNNING)
        try:
            await adapter.serve(stop)
        except SystemExit as exit_:  # a server library that exits on a bind failure
            raise RuntimeError(f"it exited (code {exit_.code})") from exit_
        if not stop.is_set():
            raise RuntimeError("it stopped serving by itself")

    def _failed(self, error: Exception, delay: float) -> None:
        self.error = one_line(error)
        self._enter(AdapterState.FAILED, retry_in=delay)
        _LOGGER.error(
            "adapter %s failed: %s; retrying in %.0f s",
            self.name,
            self.error,
            delay,
            exc_info=_LOGGER.isEnabledFor(logging.DEBUG),
        )

    def status(self) -> AdapterStatus:
        retry_in = None
        if self._retry_at is not None and self.state is AdapterState.FAILED:
            retry_in = round(max(0.0, self._retry_at - time.monotonic()), 1)
        return AdapterStatus(
            adapter=self.name,
            state=self.state,
            since=self.since,
            restarts=self.restarts,
            error=self.error,
            retry_in=retry_in,
            host=socket.gethostname(),
            pid=os.getpid(),
        )


class AdapterSupervisor:
    """Runs every adapter of a process and answers status requests for them."""

    def __init__(self, hub: HubClient, adapters: list[SupervisedAdapter]) -> None:
        self.hub = hub
        self.adapters = adapters

    def statuses(self) -> list[AdapterStatus]:
        return [adapter.status() for adapter in self.adapters]

    async def _answer(self, msg: Msg) -> None:
        if msg.reply:
            answer = AdapterStatusList(adapters=self.statuses())
            with contextlib.suppress(Exception):  # the asker may be gone; nothing to tell
                await msg.respond(answer.model_dump_json().encode())

    async def run(self, stop: asyncio.Event) -> None:
        subject = self.hub.subjects.adapter_status
        subscription = await self.hub.nc.subscribe(subject, cb=self._answer)
        try:
            await asyncio.gather(*(adapter.run(stop) for adapter in self.adapters))
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
