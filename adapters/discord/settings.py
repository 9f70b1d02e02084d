"""Settings of the Discord adapter (env ``VOICEBUS_DISCORD_*``, TOML ``[discord]``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from hub.settings import AdapterSettings


class DiscordSettings(AdapterSettings):
    """The bot's token and its limits: ``VOICEBUS_DISCORD_TOKEN=...`` or ``[discord]``."""

    adapter_name: ClassVar[str] = "discord"

    token: SecretStr | None = Field(default=None, description="Bot token (a secret).")
    guild_ids: list[int] = Field(
        default_factory=list,
        description="Guilds to sync the slash commands to at once (else global sync).",
    )
    allowed_guilds: list[int] = Field(
        default_factory=list, description="Serve only these guilds (empty: every guild)."
    )
    allowed_roles: list[int] = Field(
        default_factory=list, description="Only members with one of these role ids (empty: all)."
    )
    default_voice: str | None = Field(
        default=None, description="Voice of users who chose none (default: the hub's)."
    )
    max_chars: int = Field(default=500, ge=20, le=4000, description="Default message limit.")
    rate_limit: int = Field(default=6, ge=1, description="Utterances per user per window.")
    rate_window: float = Field(default=30.0, gt=0, description="Rate-limit window, seconds.")
    queue_size: int = Field(default=20, ge=1, description="Utterances waiting per guild.")
    kv_bucket: str = Field(
        default="voicebus-discord",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="JetStream KV bucket of guild and user settings.",
    )
    api_base: str | None = Field(
        default=None, description="Discord REST base URL (tests point it at a local fake)."
    )
    gateway_url: str | None = Field(
        default=None, description="Discord gateway websocket URL (tests point it at a local fake)."
    )
    sync_commands: bool = Field(default=True, description="Sync slash commands at start-up.")
