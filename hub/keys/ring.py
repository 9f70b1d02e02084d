"""Every key record in memory, kept current by a watcher on the keys bucket.

Each adapter process holds one :class:`KeyRing`. It reads the bucket once at start (all of
it, up to the stream's last sequence, so a slow server can never make it look empty) and
then follows changes as JetStream pushes them, so a key created or revoked anywhere is known
here within milliseconds, not at the next poll. After a NATS reconnect it reads the bucket
again (a restarted server forgets the watcher's consumer), so nothing is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from nats.aio.client import Client
from nats.js.kv import KeyValue

from hub.keys import tokens
from hub.keys.model import KeyRecord

_LOGGER = logging.getLogger(__name__)

_RECORD = "key."
RESTART_DELAY = 0.5
"""Seconds between attempts to watch the bucket again while NATS is not back."""
RECONNECT_CHECK = 0.25
"""Seconds between looks at the connection's reconnect counter (a local read)."""


class KeyRing:
    def __init__(self, kv: KeyValue, nc: Client | None = None) -> None:
        self._kv = kv
        self._nc = nc  # to notice reconnects; None: a one-shot read (keys list)
        self._records: dict[str, KeyRecord] = {}
        self._ready = asyncio.Event()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def records(self) -> dict[str, KeyRecord]:
        return dict(self._records)

    @property
    def has_keys(self) -> bool:
        """Whether any key (live or revoked) was ever made: run-time keys are then in use."""
        return bool(self._records)

    async def start(self, timeout: float = 10.0) -> None:
        """Load every record and keep following; raises TimeoutError if the load stalls."""
        state = (await self._kv.status()).stream_info.state
        last_seq = state.last_seq
        watcher = await self._kv.watchall()
        if not state.messages:  # nothing to read (a purged bucket keeps its last_seq)
            self._ready.set()
        self._task = asyncio.create_task(self._run(watcher, last_seq), name="key-ring")
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            await self.stop()
            raise

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def lookup(self, token: str) -> KeyRecord | None:
        """The record whose secret matches ``token`` (revoked ones too), else None."""
        parts = tokens.split_token(token)
        if parts is None:
            return None
        record = self._records.get(parts[0])
        if record is None or not tokens.secret_matches(record.salt, parts[1], record.secret_hash):
            return None
        return record

    async def wait_for(self, predicate: Callable[[KeyRing], bool], timeout: float) -> None:
        """Wait until ``predicate(ring)`` is true (tests and tools), at most ``timeout`` s."""

        async def until() -> None:
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)

    async def _run(self, watcher: KeyValue.KeyWatcher, last_seq: int) -> None:
        """Follow the bucket; watch it again after a NATS reconnect or a failed watcher."""
        while True:
            follow = asyncio.create_task(self._follow(watcher, last_seq))
            try:
                reason = await self._until_restart_needed(follow)
            finally:
                follow.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await follow
            if reason is None:
                return
            _LOGGER.info("API keys: %s; reading the keys bucket again", reason)
            watcher, last_seq = await self._watch_again()

    async def _until_restart_needed(self, follow: asyncio.Task[None]) -> str | None:
        """Why the watcher must be made again, or None when it ended on purpose.

        JetStream's watcher is an ephemeral consumer that a restarted server has forgotten,
        so a reconnect is a reason (seen from the connection's counter, checked locally)."""
        seen = self._reconnects()
        while True:
            done, _ = await asyncio.wait({follow}, timeout=RECONNECT_CHECK)
            if done:
                error = follow.exception()
                return f"the watcher failed ({error})" if error else None
            if self._reconnects() != seen and self._nc is not None and self._nc.is_connected:
                return "NATS reconnected"

    async def _watch_again(self) -> tuple[KeyValue.KeyWatcher, int]:
        while True:
            try:
                last_seq = (await self._kv.status()).stream_info.state.last_seq
                return await self._kv.watchall(), last_seq
            except Exception as error:  # still reconnecting
                _LOGGER.debug("API keys: the bucket cannot be watched yet: %s", error)
                await asyncio.sleep(RESTART_DELAY)

    def _reconnects(self) -> int:
        return int(self._nc.stats["reconnects"]) if self._nc is not None else 0

    async def _follow(self, watcher: KeyValue.KeyWatcher, last_seq: int) -> None:
        try:
            async for entry in watcher:
                if entry is None:
                    continue
                self._apply(entry)
                if (entry.revision or 0) >= last_seq or entry.delta == 0:
                    self._ready.set()
        finally:
            with contextlib.suppress(Exception):
                await watcher.stop()

    def _apply(self, entry: KeyValue.Entry) -> None:
        if not entry.key.startswith(_RECORD):
            return
        key_id = entry.key.removeprefix(_RECORD)
        if entry.operation is None and entry.value:
            try:
                self._records[key_id] = KeyRecord.model_validate_json(entry.value)
            except ValueError:
                _LOGGER.warning("ignoring a malformed key record %s", key_id)
                return
        else:
            self._records.pop(key_id, None)
        self._changed.set()
