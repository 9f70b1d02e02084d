"""Guild commands: /autoread and /settings (kept in JetStream KV, so they survive restarts)."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands

from adapters.discord.access import Refusal
from adapters.discord.context import BotContext
from adapters.discord.replies import reply

MAX_REPLACEMENTS = 50


def add_guild_commands(tree: app_commands.CommandTree, ctx: BotContext) -> None:
    @tree.command(name="autoread", description="Read new messages of a text channel aloud")
    @app_commands.describe(
        state="on or off", channel="The text channel to read (default: this one)"
    )
    async def autoread(
        interaction: discord.Interaction,
        state: Literal["on", "off"],
        channel: discord.TextChannel | None = None,
    ) -> None:
        guild = _managed(interaction)
        config = await ctx.admit(guild, interaction.user, speaking=False)
        target = channel or interaction.channel
        if target is None:
            raise Refusal("Name the text channel to read.")
        links = dict(config.autoread)
        if state == "off":
            links.pop(str(target.id), None)
            text = f"I stopped reading {_mention(target)}."
        else:
            voice = getattr(getattr(interaction.user, "voice", None), "channel", None)
            if voice is None:
                raise Refusal("Join the voice channel I should read it in, then ask again.")
            links[str(target.id)] = voice.id
            text = f"I will read {_mention(target)} aloud in {voice.name}."
        await ctx.store.save_guild(guild.id, config.model_copy(update={"autoread": links}))
        await reply(interaction, text)

    @tree.command(name="settings", description="Change how I read messages in this server")
    @app_commands.describe(
        required_role="Only members with this role make me speak",
        clear_role="Remove the required role",
        max_chars="Longer messages are cut with 'and so on' (20-4000)",
        xsaid="Say '<name> said' before messages",
        nicknames="Use server nicknames",
        bot_ignore="Ignore messages from bots",
        require_voice="Read only members who are in my voice channel",
        replace="A pronunciation fix: word=how to say it (empty after = removes it)",
        speed="Your own speaking rate (0.5-2.0)",
    )
    async def settings(
        interaction: discord.Interaction,
        required_role: discord.Role | None = None,
        clear_role: bool = False,
        max_chars: app_commands.Range[int, 20, 4000] | None = None,
        xsaid: bool | None = None,
        nicknames: bool | None = None,
        bot_ignore: bool | None = None,
        require_voice: bool | None = None,
        replace: str | None = None,
        speed: app_commands.Range[float, 0.5, 2.0] | None = None,
    ) -> None:
        guild = _guild(interaction)
        config = await ctx.admit(guild, interaction.user, speaking=False)
        changes: dict[str, object] = {
            key: value
            for key, value in {
                "max_chars": max_chars,
                "xsaid": xsaid,
                "nicknames": nicknames,
                "bot_ignore": bot_ignore,
                "require_voice": require_voice,
            }.items()
            if value is not None
        }
        if required_role is not None or clear_role:
            changes["required_role"] = None if clear_role else required_role.id  # type: ignore[union-attr]
        if replace is not None:
            changes["replacements"] = _replacements(config.replacements, replace)
        if changes:
            _require_manager(interaction)
            config = config.model_copy(update=changes)
            await ctx.store.save_guild(guild.id, config)
        if speed is not None:
            user = await ctx.store.user(interaction.user.id)
            await ctx.store.save_user(interaction.user.id, user.model_copy(update={"speed": speed}))
        user = await ctx.store.user(interaction.user.id)
        await reply(interaction, _describe(config, user.speed, ctx.settings.max_chars))


def _replacements(current: dict[str, str], spec: str) -> dict[str, str]:
    word, sep, spoken = spec.partition("=")
    if not sep or not word.strip():
        raise Refusal("Write a replacement as word=how to say it, e.g. gg=good game.")
    updated = dict(current)
    if spoken.strip():
        if len(updated) >= MAX_REPLACEMENTS and word.strip() not in updated:
            raise Refusal(f"At most {MAX_REPLACEMENTS} replacements; remove one first.")
        updated[word.strip()] = spoken.strip()
    else:
        updated.pop(word.strip(), None)
    return updated


def _describe(config: object, speed: float, default_chars: int) -> str:
    values = config.model_dump()  # type: ignore[attr-defined]
    role = f"<@&{values['required_role']}>" if values["required_role"] else "none"
    fixes = ", ".join(f"{k}={v}" for k, v in values["replacements"].items()) or "none"
    return (
        f"Required role: {role}. Max characters: {values['max_chars'] or default_chars}. "
        f"Say who said it: {_yes(values['xsaid'])}. Nicknames: {_yes(values['nicknames'])}. "
        f"Ignore bots: {_yes(values['bot_ignore'])}. "
        f"Only members in voice: {_yes(values['require_voice'])}. "
        f"Pronunciation fixes: {fixes}. Your speed: {speed:g}."
    )


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _mention(channel: object) -> str:
    return f"<#{channel.id}>"  # type: ignore[attr-defined]


def _guild(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise Refusal("Settings belong to a server; use this in one.")
    return interaction.guild


def _managed(interaction: discord.Interaction) -> discord.Guild:
    guild = _guild(interaction)
    _require_manager(interaction)
    return guild


def _require_manager(interaction: discord.Interaction) -> None:
    permissions = getattr(interaction.user, "guild_permissions", None)
    if permissions is None or not permissions.manage_guild:
        raise Refusal("Only members who can manage the server may change this.")
