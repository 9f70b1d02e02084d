"""Reading new messages aloud: from a text channel linked with /autoread, or from the text
chat of the voice channel the bot is in, each author in their own voice."""

from __future__ import annotations

import logging

import discord

from adapters.discord.access import Refusal
from adapters.discord.cleaning import Names
from adapters.discord.context import BotContext, display_name

_LOGGER = logging.getLogger(__name__)

COMMAND_PREFIXES = ("/", "!", ";")


async def on_message(ctx: BotContext, message: discord.Message) -> bool:
    """Queue ``message`` if it is to be read; True when it was queued."""
    guild = message.guild
    if guild is None or not message.content or message.author == guild.me:
        return False
    voice_channel = await _linked_voice(ctx, guild, message.channel)
    if voice_channel is None:
        return False
    try:
        config = await ctx.admit(guild, message.author)
    except Refusal:
        return False
    if config.bot_ignore and message.author.bot:
        return False
    if message.content.startswith(COMMAND_PREFIXES):
        return False
    author_voice = getattr(getattr(message.author, "voice", None), "channel", None)
    if config.require_voice and getattr(author_voice, "id", None) != voice_channel.id:
        return False
    try:
        await ctx.join(guild, voice_channel)
        known = mentioned(message, config.nicknames)
        await ctx.speak(guild, message.author, message.content, config, said=True, known=known)
    except Refusal as refusal:  # nobody asked: log it, do not spam the channel
        _LOGGER.info("not reading a message in guild %s: %s", guild.id, refusal)
        return False
    return True


async def _linked_voice(
    ctx: BotContext, guild: discord.Guild, channel: object
) -> discord.VoiceChannel | None:
    """The voice channel a message's channel is read in, if any."""
    config = await ctx.store.guild(guild.id)
    linked = config.autoread.get(str(getattr(channel, "id", "")))
    if linked is not None:
        found = guild.get_channel(linked)
        return found if isinstance(found, discord.VoiceChannel) else None
    voice = ctx.voices.get(guild.id)
    in_it = voice is not None and voice.is_connected() and getattr(voice, "channel", None)
    if isinstance(channel, discord.VoiceChannel) and in_it == channel:
        return channel
    return None


def mentioned(message: discord.Message, nicknames: bool) -> Names:
    """The names Discord sent with the message for the ids it mentions."""
    return Names(
        users={user.id: display_name(user, nicknames) for user in message.mentions},
        channels={channel.id: channel.name for channel in message.channel_mentions},
        roles={role.id: role.name for role in message.role_mentions},
    )
