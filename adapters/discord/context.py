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
from adapters.discord.voice import connect_voice, wait_connected
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

    async def admit(
        self, guild: discord.Guild | None, member: Any, *, speaking: bool = True
    ) -> GuildConfig:
        """The guild's settings, once the guild and the member may use the bot. The guild's
        required role is for making it speak (``speaking``), not for changing settings, so
        a manager without it can still change or clear it."""
        guild_id = check_guild(guild.id if guild else None, self.settings.allowed_guilds)
        config = await self.store.guild(guild_id)
        roles = [role.id for role in getattr(member, "roles", [])]
        required = config.required_role if speaking else None
        check_roles(roles, self.settings.allowed_roles, required)
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
        """Be in ``channel`` (connecting or moving there). discord.py's own voice client of
        the guild is the truth: one it is reconnecting is waited for, not replaced."""
        player = self.player(guild.id)
        current = await self._live_voice(guild)
        if current is not None:
            if getattr(current, "channel", None) != channel:
                await current.move_to(channel)  # type: ignore[attr-defined]
            self.voices[guild.id] = player.voice = current
            return current
        me = guild.me
        if me is not None:
            allowed = channel.permissions_for(me)
            missing = [name for name in ("connect", "speak") if not getattr(allowed, name)]
            if missing:
                _LOGGER.warning(
                    "guild %s: cannot join %s, missing the %s permission(s)",
                    guild.id,
                    channel.id,
                    " and ".join(name.title() for name in missing),
                )
                raise Refusal(f"I need the Connect and Speak permissions in {channel.name}.")
        voice = await self.connect(channel)
        self.voices[guild.id] = player.voice = voice
        return voice

    async def _live_voice(self, guild: discord.Guild) -> VoiceLike | None:
        """The guild's connected voice client, once a reconnection is over; one that does not
        come back is disconnected so that a fresh connection can be made."""
        voice: Any = guild.voice_client
        if voice is None:
            self.voices.pop(guild.id, None)
            return None
        if await wait_connected(voice):
            return voice  # type: ignore[no-any-return]
        _LOGGER.warning("guild %s: the voice connection did not come back; reconnecting", guild.id)
        await voice.disconnect(force=True)
        self.voices.pop(guild.id, None)
        return None

    async def leave(self, guild: discord.Guild) -> bool:
        """Stop the queue and leave voice; False when the bot was in no voice channel."""
        if guild.id in self.players:
            await self.players[guild.id].stop()
            self.players[guild.id].voice = None
        known = self.voices.pop(guild.id, None)
        voice: Any = guild.voice_client or known
        if voice is None:
            return False
        await voice.disconnect(force=True)
        return True

    async def forget(self, guild_id: int) -> None:
        """The voice connection ended from outside: drop it and the guild's queue."""
        self.voices.pop(guild_id, None)
        if guild_id in self.players:
            await self.players[guild_id].stop()
            self.players[guild_id].voice = None

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
