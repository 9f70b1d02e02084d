"""Guild and user settings that survive restarts, in a JetStream key-value bucket.

The bucket comes from the hub client's facade (``await hub.kv(bucket)``): keys ``guild.<id>``
and ``user.<id>``, JSON values of ``GuildConfig`` and ``UserConfig``.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel, Field

from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)

_Config = TypeVar("_Config", bound=BaseModel)


class GuildConfig(BaseModel):
    """What /settings changes for one guild."""

    required_role: int | None = None
    max_chars: int | None = Field(default=None, ge=20, le=4000)
    xsaid: bool = True
    nicknames: bool = True
    bot_ignore: bool = True
    require_voice: bool = True
    replacements: dict[str, str] = Field(default_factory=dict)
    autoread: dict[str, int] = Field(
        default_factory=dict, description="Text channel id (as text) -> voice channel id."
    )


class UserConfig(BaseModel):
    """What /voice and /settings speed change for one user."""

    voice: str | None = None
    speed: float = Field(default=1.0, ge=0.5, le=2.0)


class SettingsStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self._guilds: dict[int, GuildConfig] = {}
        self._users: dict[int, UserConfig] = {}

    @classmethod
    async def open(cls, hub: HubClient, bucket: str) -> SettingsStore:
        return cls(await hub.kv(bucket, history=1, description="discord bot"))

    async def guild(self, guild_id: int) -> GuildConfig:
        if guild_id not in self._guilds:
            self._guilds[guild_id] = await self._load(f"guild.{guild_id}", GuildConfig)
        return self._guilds[guild_id]

    async def user(self, user_id: int) -> UserConfig:
        if user_id not in self._users:
            self._users[user_id] = await self._load(f"user.{user_id}", UserConfig)
        return self._users[user_id]

    async def save_guild(self, guild_id: int, config: GuildConfig) -> None:
        await self._kv.put(f"guild.{guild_id}", config.model_dump_json().encode())
        self._guilds[guild_id] = config

    async def save_user(self, user_id: int, config: UserConfig) -> None:
        await self._kv.put(f"user.{user_id}", config.model_dump_json().encode())
        self._users[user_id] = config

    async def _load(self, key: str, model: type[_Config]) -> _Config:
        try:
            entry = await self._kv.get(key)
        except KeyNotFoundError:
            return model()
        try:
            return model.model_validate_json(entry.value or b"{}")
        except ValueError as error:  # a value from an older version: start afresh
            _LOGGER.warning("ignoring unreadable settings %s: %s", key, error)
            return model()
