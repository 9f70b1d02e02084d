"""The voice slash commands: /say /voice /voices /join /leave /skip /stop."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters.discord.access import Refusal
from adapters.discord.context import BotContext
from adapters.discord.replies import reply

MAX_CHOICES = 25


def add_voice_commands(tree: app_commands.CommandTree, ctx: BotContext) -> None:
    async def voice_names(_: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = sorted({route.voice.name for route in ctx.hub.voices()})
        found = [name for name in names if current.lower() in name.lower()]
        return [app_commands.Choice(name=name, value=name) for name in found[:MAX_CHOICES]]

    @tree.command(name="say", description="Say text in your voice channel")
    @app_commands.describe(text="What to say", voice="A voice on the bus (default: yours)")
    @app_commands.autocomplete(voice=voice_names)
    async def say(interaction: discord.Interaction, text: str, voice: str | None = None) -> None:
        guild = _guild(interaction)
        config = await ctx.admit(guild, interaction.user)
        ctx.check_voice(voice)
        await _join_caller(ctx, interaction, guild)

        async def tell(message: str) -> None:
            await interaction.followup.send(message, ephemeral=True)

        place = await ctx.speak(guild, interaction.user, text, config, voice=voice, on_error=tell)
        await reply(interaction, "Speaking." if place == 0 else f"Queued ({place} before it).")

    @tree.command(name="voice", description="Choose the voice I read your messages in")
    @app_commands.describe(name="A voice on the bus")
    @app_commands.autocomplete(name=voice_names)
    async def voice(interaction: discord.Interaction, name: str) -> None:
        await ctx.admit(_guild(interaction), interaction.user)
        ctx.check_voice(name)
        user = await ctx.store.user(interaction.user.id)
        await ctx.store.save_user(interaction.user.id, user.model_copy(update={"voice": name}))
        await reply(interaction, f"Your voice is now {name}.")

    @tree.command(name="voices", description="List the voices on the bus")
    async def voices(interaction: discord.Interaction) -> None:
        routes = ctx.hub.voices()
        if not routes:
            raise Refusal("No speech engine is running right now; try again in a moment.")
        lines = sorted({f"{r.voice.name} ({r.engine})" for r in routes})
        text = "\n".join(lines)
        await reply(interaction, text if len(text) < 1900 else text[:1900] + "\n...")

    @tree.command(name="join", description="Join your voice channel")
    async def join(interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        await ctx.admit(guild, interaction.user)
        channel = await _join_caller(ctx, interaction, guild)
        await reply(interaction, f"Joined {channel.name}.")

    @tree.command(name="leave", description="Leave the voice channel")
    async def leave(interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        await ctx.admit(guild, interaction.user)
        left = await ctx.leave(guild)
        await reply(interaction, "Left the voice channel." if left else "I am not in one.")

    @tree.command(name="skip", description="Skip what I am saying now (the queue goes on)")
    async def skip(interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        await ctx.admit(guild, interaction.user)
        skipped = await ctx.player(guild.id).skip()
        await reply(interaction, "Skipped." if skipped else "I am not saying anything.")

    @tree.command(name="stop", description="Stop speaking and clear the queue")
    async def stop(interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        await ctx.admit(guild, interaction.user)
        dropped = await ctx.player(guild.id).stop()
        await reply(interaction, f"Stopped; {dropped} message(s) dropped.")


def _guild(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise Refusal("I only speak in servers, not in direct messages.")
    return interaction.guild


async def _join_caller(
    ctx: BotContext, interaction: discord.Interaction, guild: discord.Guild
) -> discord.abc.Connectable:
    state = getattr(interaction.user, "voice", None)
    if state is None or state.channel is None:
        raise Refusal("Join a voice channel first, then ask me again.")
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    await ctx.join(guild, state.channel)
    return state.channel
