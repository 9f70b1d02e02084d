"""Settings of the Slack adapter (env ``VOICEBUS_SLACK_*``, TOML ``[slack]``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, field_validator

from hub.settings import AdapterSettings

SLACK_API_URL = "https://slack.com/api/"
AUDIO_FORMATS = ("mp3", "opus", "flac", "wav", "aac")
_EXTENSIONS = {"opus": "ogg", "aac": "m4a"}


class SlackSettings(AdapterSettings):
    """Where the Slack app listens, its credentials and its limits; see docs/slack.md."""

    adapter_name: ClassVar[str] = "slack"

    host: str = Field(default="127.0.0.1", description="Address the HTTP mode listens on.")
    port: int = Field(default=3000, ge=0, le=65535, description="HTTP port (0: any free port).")
    bot_token: SecretStr = Field(default=SecretStr(""), description="Bot token (xoxb-...).")
    signing_secret: SecretStr = Field(
        default=SecretStr(""), description="Signing secret that HTTP requests are checked with."
    )
    app_token: SecretStr | None = Field(
        default=None, description="App-level token (xapp-...): use Socket Mode instead of HTTP."
    )
    api_url: str = Field(
        default=SLACK_API_URL, description="Web API base (Enterprise Grid, GovSlack, a mock)."
    )
    audio_format: str = Field(default="mp3", description="Format of the uploaded file.")
    default_voice: str | None = Field(
        default=None, description="Voice for users who chose none (None: the hub's default)."
    )
    replacements: dict[str, str] = Field(
        default_factory=dict, description="Pronunciation fixes: word -> how to say it."
    )
    max_text_chars: int = Field(default=3000, ge=1, description="Longest text read aloud.")
    rate_limit: int = Field(default=5, ge=1, description="Requests a user may make per window.")
    rate_window: float = Field(default=60.0, gt=0, description="Rate limit window, seconds.")
    voice_bucket: str = Field(
        default="voicebus-slack-voices", description="JetStream KV bucket of users' voices."
    )
    events_bucket: str = Field(
        default="voicebus-slack-events", description="JetStream KV bucket of answered events."
    )
    dedup_seconds: float = Field(
        default=600.0, gt=0, description="How long an event_id is remembered (Slack retries)."
    )
    log_level: str = Field(default="warning", description="uvicorn log level.")

    @field_validator("audio_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in AUDIO_FORMATS:
            raise ValueError(f"audio_format must be one of {', '.join(AUDIO_FORMATS)}")
        return name

    @field_validator("api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None and bool(self.app_token.get_secret_value())

    @property
    def filename(self) -> str:
        return f"speech.{_EXTENSIONS.get(self.audio_format, self.audio_format)}"
