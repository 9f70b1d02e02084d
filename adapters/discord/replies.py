"""Answers to interactions: always ephemeral, always a plain sentence, never a traceback."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from adapters.discord.access import Refusal

_LOGGER = logging.getLogger(__name__)

SORRY = "Something went wrong on my side; the error was logged."


async def reply(interaction: discord.Interaction, text: str) -> None:
    """Ephemeral answer, as the first response or as a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


async def on_command_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """The tree's error handler: refusals as they are, anything else logged and apologised."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause, Refusal):
        text = str(cause)
    elif isinstance(cause, app_commands.TransformerError | app_commands.CheckFailure):
        text = "I did not understand that option."
    else:
        name = interaction.command.name if interaction.command else "?"
        _LOGGER.error("/%s failed", name, exc_info=cause)
        text = SORRY
    try:
        await reply(interaction, text)
    except discord.HTTPException as failure:
        _LOGGER.info("could not answer an interaction: %s", failure)
