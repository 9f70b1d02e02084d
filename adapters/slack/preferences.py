"""Each user's chosen voice, in a JetStream key-value bucket so it survives restarts.

The bucket comes from the hub client's facade (``await hub.kv(bucket)``), created on first use.
"""

from __future__ import annotations

import re

from nats.js.errors import KeyDeletedError, KeyNotFoundError
from nats.js.kv import KeyValue

from hub.client import HubClient

_UNSAFE = re.compile(r"[^-_a-zA-Z0-9]")


class VoicePreferences:
    """``get``/``set`` a user's default voice, keyed by team and user id."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, hub: HubClient, bucket: str) -> VoicePreferences:
        return cls(await hub.kv(bucket, history=1, description="Slack voices"))

    @staticmethod
    def key(team: str | None, user: str) -> str:
        return f"{_UNSAFE.sub('_', team or 'team')}.{_UNSAFE.sub('_', user)}"

    async def get(self, team: str | None, user: str) -> str | None:
        try:
            entry = await self._kv.get(self.key(team, user))
        except (KeyNotFoundError, KeyDeletedError):
            return None
        return entry.value.decode() if entry.value else None

    async def set(self, team: str | None, user: str, voice: str) -> None:
        await self._kv.put(self.key(team, user), voice.encode())
