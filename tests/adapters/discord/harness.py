"""The real ``DiscordAdapter`` logged in to the local fake, with gateway events fed to
discord.py's parsers and voice connections made by ``RecordingVoice``."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import discord

from adapters.discord.bot import DiscordAdapter
from adapters.discord.context import BotContext
from adapters.discord.settings import DiscordSettings
from hub.client import HubClient
from tests.adapters.discord import fake_discord as fake
from tests.adapters.discord.voice_stand_in import RecordingVoice

_IDS = itertools.count(9000)


class ConnectedVoice(RecordingVoice):
    """A voice client as discord.py keeps it: registered as the guild's ``voice_client``
    until it disconnects, and told the bot's own VOICE_STATE_UPDATEs, which it handles as
    ``VoiceConnectionState.voice_state_update`` does."""

    timeout = 10.0

    def __init__(self, loop: asyncio.AbstractEventLoop, channel: Any, state: Any) -> None:
        super().__init__(loop)
        self.channel = channel
        self.moves: list[Any] = []
        self._state = state
        self._expecting_disconnect = False
        state._add_voice_client(channel.guild.id, self)

    async def move_to(self, channel: Any) -> None:
        self.moves.append(channel)
        self.channel = channel

    def drop(self) -> None:
        """The voice websocket dropped: discord.py's poller calls ``disconnect(cleanup=False)``
        (it leaves the channel on the gateway, expecting the channel-null update) and then
        reconnects; the client stays registered and its player waits."""
        self.connected = False
        self._expecting_disconnect = True

    async def on_voice_state_update(self, data: dict[str, Any]) -> None:
        if data["channel_id"] is None:
            if self._expecting_disconnect:
                self._expecting_disconnect = False
            else:  # from outside: discord.py disconnects, stops the player, cleans up
                await self.disconnect(force=True)
        elif not self.disconnected:
            self.connected = True  # the reconnection completed

    async def on_voice_server_update(self, data: dict[str, Any]) -> None:
        return None

    async def disconnect(self, *, force: bool = False) -> None:
        self.stop()
        await super().disconnect(force=force)
        self._state._remove_voice_client(self.channel.guild.id)


class BotHarness:
    def __init__(self, hub: HubClient, discord_api: fake.FakeDiscord, **settings: Any) -> None:
        self.api = discord_api
        self.settings = DiscordSettings(token=fake.TOKEN, api_base=discord_api.url, **settings)
        self.adapter = DiscordAdapter(self.settings, hub)
        self.voices: list[ConnectedVoice] = []
        self.roster: Roster = {}
        """Every member of the guilds, as the payloads had them (discord.py caches only the
        members in voice without the members intent; Discord sends the others' member data
        with each message and interaction)."""

    async def start(self, *guilds: dict[str, Any]) -> BotHarness:
        await self.adapter.start()
        self.ctx.connect = self._connect
        for payload in guilds or (fake.guild(),):
            for raw in payload["members"]:
                self.roster[int(payload["id"]), int(raw["user"]["id"])] = raw
            self.state.parsers["GUILD_CREATE"](payload)
        return self

    async def close(self) -> None:
        await self.adapter.close()

    @property
    def ctx(self) -> BotContext:
        assert self.adapter.context is not None
        return self.adapter.context

    @property
    def state(self) -> Any:
        assert self.adapter.client is not None
        return self.adapter.client._connection

    async def _connect(self, channel: Any) -> ConnectedVoice:
        if self.state._get_voice_client(channel.guild.id):  # as VoiceChannel.connect does
            raise discord.ClientException("Already connected to a voice channel.")
        voice = ConnectedVoice(asyncio.get_running_loop(), channel, self.state)
        self.voices.append(voice)
        self.voice_update(fake.BOT_ID, channel.id, guild=channel.guild.id)  # as the gateway does
        return voice

    def command(
        self,
        name: str,
        /,
        *,
        user: int = fake.ANN,
        guild: int = fake.GUILD_ID,
        channel: int | None = None,
        kind: int = 2,
        **options: Any,
    ) -> int:
        """Send an INTERACTION_CREATE for ``/name option=value ...``; returns its id."""
        interaction_id = next(_IDS)
        self.state.parsers["INTERACTION_CREATE"](
            interaction(
                interaction_id, name, self.state, user, guild, channel, kind, options, self.roster
            )
        )
        return interaction_id

    def voice_update(self, user: int, channel: int | None, *, guild: int = fake.GUILD_ID) -> None:
        """A VOICE_STATE_UPDATE: ``user`` is now in ``channel`` (None: in no channel)."""
        found = self.state._get_guild(guild).get_member(user)
        roles = [r.id for r in found.roles[1:]]
        self.state.parsers["VOICE_STATE_UPDATE"](
            {
                **fake.voice_state(user, channel or 0),
                "channel_id": None if channel is None else str(channel),
                "guild_id": str(guild),
                "member": fake.member(user, found.name, roles, nick=found.nick, bot=found.bot),
            }
        )

    def post(self, content: str, *, user: int = fake.ANN, channel: int, **extra: Any) -> None:
        """A MESSAGE_CREATE in ``channel`` of the test guild."""
        data = fake.message(next(_IDS), channel, user, content, guild_id=str(fake.GUILD_ID))
        found = member_of(self.state, fake.GUILD_ID, user, self.roster)
        if found is not None:
            data["member"] = {
                **fake.member(user, found.name, [r.id for r in found.roles[1:]], nick=found.nick)
            }
            del data["member"]["user"]
            data["author"]["bot"] = found.bot
        data.update(extra)
        self.state.parsers["MESSAGE_CREATE"](data)


_TYPES = {str: 3, int: 4, bool: 5, float: 10}
Roster = dict[tuple[int, int], dict[str, Any]]


def member_of(state: Any, guild_id: int, user_id: int, roster: Roster) -> discord.Member | None:
    """The member as discord.py has it cached, else as Discord would send it."""
    guild = state._get_guild(guild_id)
    if guild is None:
        return None
    found = guild.get_member(user_id)
    raw = roster.get((guild_id, user_id))
    if found is None and raw is not None:
        found = discord.Member(data=raw, guild=guild, state=state)  # type: ignore[arg-type]
    return found


def interaction(
    interaction_id: int,
    name: str,
    state: Any,
    user_id: int,
    guild_id: int,
    channel: int | None,
    kind: int,
    options: dict[str, Any],
    roster: Roster | None = None,
) -> dict[str, Any]:
    guild = state._get_guild(guild_id)
    found = member_of(state, guild_id, user_id, roster or {})
    roles = [str(r.id) for r in found.roles[1:]] if found else []
    perms = found.guild_permissions.value if found else 0
    raw_options = []
    for key, value in options.items():
        option: dict[str, Any] = {"name": key, "type": _TYPES.get(type(value), 3)}
        if isinstance(value, discord.Object):
            option.update(type=8 if key.endswith("role") else 7, value=str(value.id))
        else:
            option["value"] = value
        if kind == 4 and key == "focused":
            continue
        if kind == 4 and options.get("focused") == key:
            option["focused"] = True
        raw_options.append(option)
    channel_id = channel or fake.GENERAL + guild_id
    data: dict[str, Any] = {"id": "1", "name": name, "type": 1, "options": raw_options}
    resolved = _resolved(guild, options)
    if resolved:
        data["resolved"] = resolved
    return {
        "id": str(interaction_id),
        "application_id": str(fake.APP_ID),
        "type": kind,
        "token": f"token-{interaction_id}",
        "version": 1,
        "guild_id": str(guild_id),
        "channel_id": str(channel_id),
        "channel": {
            "id": str(channel_id),
            "type": 0,
            "name": "general",
            "guild_id": str(guild_id),
            "permissions": str(fake.EVERYONE_PERMS),
        },
        "member": {
            **fake.member(user_id, found.name if found else "x", []),
            "roles": roles,
            "nick": found.nick if found else None,
            "permissions": str(perms),
        },
        "data": data,
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": str(fake.EVERYONE_PERMS),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": 8388608,
    }


def _resolved(guild: Any, options: dict[str, Any]) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for key, value in options.items():
        if not isinstance(value, discord.Object) or guild is None:
            continue
        if key.endswith("role"):
            role = guild.get_role(value.id)
            resolved.setdefault("roles", {})[str(value.id)] = fake.role(value.id, role.name)
        else:
            channel = guild.get_channel(value.id)
            resolved.setdefault("channels", {})[str(value.id)] = {
                "id": str(value.id),
                "type": channel.type.value,
                "name": channel.name,
                "permissions": str(fake.EVERYONE_PERMS),
                "guild_id": str(guild.id),
            }
    return resolved
