"""Each user's chosen voice, in a JetStream key-value bucket so it survives restarts.

The hub client's facade has no generic KV access, so this module opens the bucket on the
client's NATS connection (``hub.nc.jetstream()``); it is the only place the adapter does.
"""

from __future__ import annotations

import logging
import re

from nats.js.errors import BucketNotFoundError, KeyDeletedError, KeyNotFoundError
from nats.js.kv import KeyValue

from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^-_a-zA-Z0-9]")


class VoicePreferences:
    """``get``/``set`` a user's default voice, keyed by team and user id."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, hub: HubClient, bucket: str) -> VoicePreferences:
        js = hub.nc.jetstream()
        try:
            kv = await js.key_value(bucket)
        except BucketNotFoundError:
            kv = await js.create_key_value(bucket=bucket, history=1, description="Slack voices")
            _LOGGER.info("created JetStream KV bucket %s for Slack users' voices", bucket)
        return cls(kv)

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
