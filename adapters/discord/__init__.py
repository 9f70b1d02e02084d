"""Discord adapter: a bot that speaks any voice on the bus in Discord voice channels.

``bot.DiscordAdapter`` logs in with ``VOICEBUS_DISCORD_TOKEN``, registers the slash commands
(``commands``), reads linked text channels aloud (``autoread``) and plays each guild's queue
(``playback``) from a streaming source (``source``). See docs/discord.md.
"""

from hub.plugins import AdapterPlugin

PLUGIN = AdapterPlugin(
    name="discord",
    settings="adapters.discord.settings:DiscordSettings",
    factory="adapters.discord.bot:DiscordAdapter",
    description="Discord bot speaking bus voices in voice channels (needs a bot token)",
)
