"""What of the bus an adapter may use, through the hub client: never its connection itself.

:class:`BusFacade` is mixed into ``HubClient``: connection state, the voice library, control
commands, adapter states, key-value buckets of an adapter's own, plain subjects (publish and
subscribe) and the API-key gatekeeper. Adapters call these and never touch ``hub.nc`` or
``hub.discovery``, so the connection and discovery can change without touching an adapter
(``tests/adapters/test_facade_only.py`` checks it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue

from hub.client.control import ControlAnswer, send_control
from hub.client.discovery import Discovery
from hub.client.status import adapter_statuses
from hub.contract.errors import EngineUnavailableError
from hub.contract.schemas import AdapterStatus, ControlCommand, EngineAnnouncement
from hub.contract.subjects import Subjects
from hub.keys.gate import AuthMode, Gatekeeper
from hub.store.library import LibraryOptions, VoiceLibrary


class BusFacade:
    """The bus-facing half of ``HubClient`` (which sets these attributes)."""

    nc: Client
    subjects: Subjects
    discovery: Discovery
    settings: LibraryOptions
    _library: VoiceLibrary | None
    _library_lock: asyncio.Lock

    @property
    def connected(self) -> bool:
        """True while the NATS connection is up (False while reconnecting or once closed)."""
        return bool(self.nc.is_connected)

    def workers(self) -> list[EngineAnnouncement]:
        """Every live engine worker, as it last announced itself."""
        return self.discovery.workers()

    def engines(self) -> dict[str, list[EngineAnnouncement]]:
        """Live workers grouped by engine name."""
        return self.discovery.engines()

    async def refresh(self, timeout: float = 1.0) -> list[EngineAnnouncement]:
        """Ask every worker to announce now; return as soon as the known workers answered
        (when none is known yet: once answers stop arriving), or after ``timeout``."""
        return await self.discovery.poll(timeout)

    async def library(self) -> VoiceLibrary:
        """The voice library in ``settings.voice_bucket``: opened on first use, then shared.

        Raises ``EngineUnavailableError`` when the server has no JetStream (tried again on
        the next call)."""
        async with self._library_lock:
            if self._library is None:
                self._library = await VoiceLibrary.open(self.nc, self.settings.voice_bucket)
            return self._library

    async def control(
        self, engine: str, command: ControlCommand, timeout: float = 120.0
    ) -> list[ControlAnswer]:
        """Send ``command`` to every worker of ``engine``: one answer per worker (announcement
        or error), as many as answered within ``timeout``."""
        if not self.discovery.workers_of(engine):
            await self.refresh()
        expected = self.discovery.workers_of(engine)
        if not expected:
            known = ", ".join(sorted(self.engines())) or "none"
            raise EngineUnavailableError(
                f"no worker of engine {engine!r} is running", f"running engines: {known}"
            )
        return await send_control(
            self.nc, self.subjects, engine, command, expected=expected, timeout=timeout
        )

    async def adapters(self, timeout: float = 1.0) -> list[AdapterStatus]:
        """Every adapter any supervisor on the bus runs, and how it is (``voicebus status``)."""
        return await adapter_statuses(self.nc, self.subjects, timeout=timeout)

    async def kv(
        self,
        bucket: str,
        *,
        history: int = 1,
        ttl: float | None = None,
        description: str | None = None,
    ) -> KeyValue:
        """The JetStream key-value ``bucket``, created (with ``history`` values per key, entries
        dropped after ``ttl`` seconds) when it does not exist yet. Raises nats' JetStream
        errors when the server has none."""
        js = self.nc.jetstream()
        try:
            return await js.key_value(bucket)
        except BucketNotFoundError:
            return await js.create_key_value(
                bucket=bucket, history=history, ttl=ttl, description=description
            )

    async def publish(self, subject: str, data: bytes) -> None:
        """Publish ``data`` on ``subject`` (an adapter's own subjects, under the prefix)."""
        await self.nc.publish(subject, data)

    async def subscribe(self, subject: str, cb: Callable[[Msg], Awaitable[None]]) -> Subscription:
        """Call ``cb`` with every message on ``subject``; unsubscribe the result to stop."""
        return await self.nc.subscribe(subject, cb=cb)

    def gatekeeper(
        self, static_keys: Sequence[str] = (), mode: AuthMode = AuthMode.AUTO
    ) -> Gatekeeper:
        """An API-key checker on this connection: ``static_keys`` plus the bus's keys."""
        return Gatekeeper(self.nc, self.subjects.prefix, static_keys, mode)
