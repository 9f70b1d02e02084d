"""The bot's voice presence: leaving a channel once nobody (but bots) is left in it, and
telling a voice drop that discord.py reconnects from a disconnect from outside."""

from __future__ import annotations

import logging

import discord

from adapters.discord.context import BotContext
from adapters.discord.voice import still_registered, wait_connected

_LOGGER = logging.getLogger(__name__)


async def on_voice_state_update(
    ctx: BotContext,
    client: discord.Client,
    member: discord.Member,
    before: discord.VoiceState,
    after: discord.VoiceState,
) -> None:
    guild = member.guild
    voice = guild.voice_client or ctx.voices.get(guild.id)
    channel = getattr(voice, "channel", None)
    if voice is None or channel is None or before.channel != channel:
        return
    if client.user is not None and member.id == client.user.id and after.channel is None:
        await own_channel_left(ctx, guild, voice)
        return
    if not any(not person.bot for person in channel.members):
        _LOGGER.info("guild %s: %s is empty, leaving", guild.id, channel.id)
        await ctx.leave(guild)


async def own_channel_left(ctx: BotContext, guild: discord.Guild, voice: object) -> None:
    """The gateway says the bot left its voice channel. discord.py does that itself when it
    reconnects after a voice websocket drop (it keeps its voice client and the player waits);
    after a disconnect from outside (kicked, channel deleted) it removes the client. Only
    the latter forgets the voice and clears the queue."""
    if await wait_connected(voice):
        _LOGGER.info("guild %s: the voice connection came back", guild.id)
        return
    if still_registered(voice):
        _LOGGER.info("guild %s: discord.py is still reconnecting to voice", guild.id)
        return
    _LOGGER.info("guild %s: disconnected from voice from outside", guild.id)
    await ctx.forget(guild.id)
