"""Leaving a voice channel once nobody (but bots) is left in it."""

from __future__ import annotations

import logging

import discord

from adapters.discord.context import BotContext

_LOGGER = logging.getLogger(__name__)


async def on_voice_state_update(
    ctx: BotContext,
    client: discord.Client,
    member: discord.Member,
    before: discord.VoiceState,
    after: discord.VoiceState,
) -> None:
    guild = member.guild
    voice = ctx.voices.get(guild.id)
    channel = getattr(voice, "channel", None)
    if voice is None or channel is None or before.channel != channel:
        return
    if client.user is not None and member.id == client.user.id and after.channel is None:
        ctx.voices.pop(guild.id, None)  # disconnected from outside: forget it
        await ctx.player(guild.id).stop()
        return
    if not any(not person.bot for person in channel.members):
        _LOGGER.info("guild %s: %s is empty, leaving", guild.id, channel.id)
        await ctx.leave(guild.id)
