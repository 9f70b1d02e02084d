"""The Discord adapter: logs in, syncs the slash commands, and serves until stopped.

    adapter = DiscordAdapter(DiscordSettings(token="..."), hub)
    await adapter.serve(stop_event)

A bad token or an unreachable Discord raises from ``serve`` (the supervisor logs it and
retries this adapter alone). ``settings.api_base`` and ``settings.gateway_url`` point
discord.py's REST client and gateway websocket elsewhere (the tests' local fake of Discord).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from adapters.discord.autoread import on_message
from adapters.discord.commands import add_voice_commands
from adapters.discord.context import BotContext
from adapters.discord.guild_commands import add_guild_commands
from adapters.discord.presence import on_voice_state_update
from adapters.discord.replies import on_command_error
from adapters.discord.settings import DiscordSettings
from adapters.discord.store import SettingsStore
from adapters.discord.voice import voice_support
from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The bot cannot start; the message says why in one line."""


def intents() -> discord.Intents:
    chosen = discord.Intents.default()  # guilds, voice states, guild messages, ...
    chosen.message_content = True  # privileged: enable it in the developer portal
    return chosen


def build_tree(client: discord.Client, ctx: BotContext) -> app_commands.CommandTree:
    tree = app_commands.CommandTree(client)
    add_voice_commands(tree, ctx)
    add_guild_commands(tree, ctx)
    tree.on_error = on_command_error  # type: ignore[method-assign]
    return tree


class DiscordAdapter:
    def __init__(self, settings: DiscordSettings, hub: HubClient) -> None:
        self.settings = settings
        self.hub = hub
        self.client: discord.Client | None = None
        self.context: BotContext | None = None

    async def start(self) -> discord.Client:
        """Check voice support, open the settings, log in; the gateway is ``run()``."""
        problem = voice_support()
        if problem:
            raise StartupError(problem)
        if self.settings.token is None:
            raise StartupError("no bot token: set VOICEBUS_DISCORD_TOKEN (see docs/discord.md)")
        if self.settings.api_base:
            discord.http.Route.BASE = self.settings.api_base
        if self.settings.gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.settings.gateway_url)
        store = await SettingsStore.open(self.hub, self.settings.kv_bucket)
        client = discord.Client(intents=intents())
        self.context = ctx = BotContext(self.hub, self.settings, store)
        tree = build_tree(client, ctx)
        client.event(_message_listener(ctx))
        client.event(_voice_listener(ctx, client))
        try:
            await _login(client, self.settings.token.get_secret_value())
            if self.settings.sync_commands:
                await _sync(tree, self.settings.guild_ids)
        except BaseException:
            await client.close()
            raise
        self.client = client
        return client

    async def serve(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set; raise when the gateway connection fails for good."""
        client = await self.start()
        gateway = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([gateway, stopping], return_when=asyncio.FIRST_COMPLETED)
            if gateway.done() and not stop.is_set():
                _raise_gateway_error(gateway)
        finally:
            stopping.cancel()
            await self.close()
            gateway.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await gateway

    async def close(self) -> None:
        if self.context is not None:
            for guild_id in list(self.context.voices):
                guild = self.client.get_guild(guild_id) if self.client else None
                with contextlib.suppress(Exception):
                    if guild is not None:
                        await self.context.leave(guild)
            for player in self.context.players.values():
                await player.close()
        if self.client is not None and not self.client.is_closed():
            await self.client.close()


def _raise_gateway_error(gateway: asyncio.Task[None]) -> None:
    """Why the gateway connection ended, in one line for the supervisor."""
    try:
        gateway.result()
    except discord.PrivilegedIntentsRequired:
        raise StartupError(
            "Discord refused the Message Content intent: enable it for the bot in the "
            "developer portal (Bot > Privileged Gateway Intents)"
        ) from None
    raise StartupError("the Discord gateway connection ended")


async def _login(client: discord.Client, token: str) -> None:
    try:
        await client.login(token)
    except discord.LoginFailure:
        raise StartupError("Discord refused the bot token (check VOICEBUS_DISCORD_TOKEN)") from None
    except (discord.HTTPException, OSError) as error:
        raise StartupError(f"cannot reach Discord: {error}") from None


async def _sync(tree: app_commands.CommandTree, guild_ids: list[int]) -> None:
    try:
        if guild_ids:
            for guild_id in guild_ids:
                tree.copy_global_to(guild=discord.Object(id=guild_id))
                await tree.sync(guild=discord.Object(id=guild_id))
        else:
            await tree.sync()
    except discord.HTTPException as error:  # commands from an earlier sync still work
        _LOGGER.warning("could not sync the slash commands: %s", error)


def _message_listener(ctx: BotContext):  # type: ignore[no-untyped-def]
    async def on_message_event(message: discord.Message) -> None:
        await on_message(ctx, message)

    on_message_event.__name__ = "on_message"
    return on_message_event


def _voice_listener(ctx: BotContext, client: discord.Client):  # type: ignore[no-untyped-def]
    async def on_voice_state_update_event(
        member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        await on_voice_state_update(ctx, client, member, before, after)

    on_voice_state_update_event.__name__ = "on_voice_state_update"
    return on_voice_state_update_event
