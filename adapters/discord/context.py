"""What every command and the autoread listener share: the hub, the settings store, one
player per guild, the limits, and how to join a voice channel."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord

from adapters.discord.access import RateLimiter, Refusal, check_guild, check_roles
from adapters.discord.cleaning import Names, SaidTracker, clean
from adapters.discord.playback import GuildPlayer, QueueFullError, Utterance, VoiceLike
from adapters.discord.settings import DiscordSettings
from adapters.discord.store import GuildConfig, SettingsStore
from adapters.discord.voice import connect_voice
from hub.client import HubClient
from hub.contract.errors import VoiceNotFoundError

_LOGGER = logging.getLogger(__name__)

Connector = Callable[[Any], Awaitable[VoiceLike]]
_IDS = re.compile(r"<(@!?|#|@&)(\d+)>")


@dataclass
class BotContext:
    hub: HubClient
    settings: DiscordSettings
    store: SettingsStore
    connect: Connector = connect_voice
    limiter: RateLimiter = field(init=False)
    said: SaidTracker = field(default_factory=SaidTracker)
    players: dict[int, GuildPlayer] = field(default_factory=dict)
    voices: dict[int, VoiceLike] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.settings.rate_limit, self.settings.rate_window)

    def player(self, guild_id: int) -> GuildPlayer:
        if guild_id not in self.players:
            self.players[guild_id] = GuildPlayer(
                self.hub, guild_id, max_queue=self.settings.queue_size
            )
        return self.players[guild_id]

    async def admit(self, guild: discord.Guild | None, member: Any) -> GuildConfig:
        """The guild's settings, once the guild and the member may use the bot."""
        guild_id = check_guild(guild.id if guild else None, self.settings.allowed_guilds)
        config = await self.store.guild(guild_id)
        roles = [role.id for role in getattr(member, "roles", [])]
        check_roles(roles, self.settings.allowed_roles, config.required_role)
        return config

    def check_voice(self, name: str | None) -> None:
        if not self.hub.engines():
            raise Refusal("No speech engine is running right now; try again in a moment.")
        if name is None:
            return
        try:
            self.hub.resolve(name)
        except VoiceNotFoundError:
            raise Refusal(f"I do not know the voice {name!r}: see /voices.") from None

    async def join(self, guild: discord.Guild, channel: Any) -> VoiceLike:
        """Be in ``channel`` (connecting or moving there)."""
        player = self.player(guild.id)
        current = self.voices.get(guild.id)
        if current is not None and current.is_connected():
            if getattr(current, "channel", None) == channel:
                return current
            await current.move_to(channel)  # type: ignore[attr-defined]
            return current
        me = guild.me
        if me is not None:
            allowed = channel.permissions_for(me)
            if not (allowed.connect and allowed.speak):
                raise Refusal(f"I need the Connect and Speak permissions in {channel.name}.")
        voice = await self.connect(channel)
        self.voices[guild.id] = player.voice = voice
        return voice

    async def leave(self, guild_id: int) -> bool:
        if guild_id in self.players:
            await self.players[guild_id].stop()
        voice = self.voices.pop(guild_id, None)
        if voice is None:
            return False
        if guild_id in self.players:
            self.players[guild_id].voice = None
        await voice.disconnect(force=True)  # type: ignore[attr-defined]
        return True

    async def speak(
        self,
        guild: discord.Guild,
        author: Any,
        text: str,
        config: GuildConfig,
        *,
        voice: str | None = None,
        on_error: Callable[[str], Awaitable[None]] | None = None,
        said: bool = False,
        known: Names | None = None,
    ) -> int:
        """Clean and queue ``text`` in ``author``'s voice; returns its place in the queue."""
        self.limiter.check(author.id)
        user = await self.store.user(author.id)
        voice = voice or user.voice or self.settings.default_voice
        self.check_voice(voice)
        max_chars = config.max_chars or self.settings.max_chars
        names = names_in(guild, text, config.nicknames, known)
        spoken = clean(text, names, max_chars=max_chars, replacements=config.replacements)
        if not spoken:
            raise Refusal("There is nothing I can read aloud in that.")
        if said and config.xsaid:
            name = display_name(author, config.nicknames)
            now = asyncio.get_running_loop().time()
            spoken = self.said.prefix(guild.id, author.id, name, now) + spoken
        try:
            return self.player(guild.id).enqueue(
                Utterance(spoken, voice, user.speed, on_error=on_error)
            )
        except QueueFullError:
            raise Refusal("Too many messages are waiting; try again soon or /stop.") from None


def display_name(member: Any, nicknames: bool) -> str:
    if nicknames:
        return str(getattr(member, "display_name", None) or member.name)
    return str(getattr(member, "global_name", None) or member.name)


def names_in(
    guild: discord.Guild, text: str, nicknames: bool = True, known: Names | None = None
) -> Names:
    """Names of the users, channels and roles that ``text`` mentions: ``known`` ones (a
    message's own mention list), else from the guild's cache."""
    known = known or Names()
    users, channels, roles = dict(known.users), dict(known.channels), dict(known.roles)
    for kind, raw in _IDS.findall(text):
        ident = int(raw)
        if ident in users or ident in channels or ident in roles:
            continue
        if kind.startswith("@") and kind != "@&":
            member = guild.get_member(ident)
            if member is not None:
                users[ident] = display_name(member, nicknames)
        elif kind == "#" and (channel := guild.get_channel(ident)) is not None:
            channels[ident] = channel.name
        elif kind == "@&" and (role := guild.get_role(ident)) is not None:
            roles[ident] = role.name
    return Names(users=users, channels=channels, roles=roles)
