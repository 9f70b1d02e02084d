"""Settings of the Twilio adapter: ``VOICEBUS_TWILIO_*`` variables or the ``[twilio]`` table.

The auth token and account SID are secrets: they never appear in logs or reprs.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any, ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from hub.settings import AdapterSettings


class TwilioSettings(AdapterSettings):
    """Everything the Twilio adapter can be told; see docs/twilio.md."""

    adapter_name: ClassVar[str] = "twilio"

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8765, ge=0, le=65535, description="Port to listen on (0: any).")
    auth_token: SecretStr = Field(
        default=SecretStr(""), description="Twilio auth token (signs webhooks and tokens)."
    )
    account_sid: SecretStr = Field(default=SecretStr(""), description="Twilio account SID.")
    public_url: str = Field(
        default="", description="https://host the number's webhook points at (tunnel/proxy)."
    )
    trust_proxy: bool = Field(
        default=False, description="Rebuild the public URL from X-Forwarded-Proto/Host."
    )
    greeting: str = Field(default="Hello, you are connected to voicebus.")
    voice: str | None = Field(default=None, description="Hub voice (None: the hub default).")
    barge_in: bool = Field(default=True, description="Caller speech or * interrupts speech.")
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Static, all-powerful bearer keys for the /twilio/calls routes (comma "
        "separated); run-time keys with the calls scope: 'voicebus keys create' (docs/keys.md).",
    )
    from_number: str = Field(default="", description="Caller ID of outbound calls (+E.164).")
    api_base: str = Field(
        default="", description="Twilio REST base URL override (tests, regional gateways)."
    )
    hangup_after: bool = Field(
        default=True, description="Outbound calls hang up once the text is spoken."
    )
    token_ttl: float = Field(default=300.0, gt=0, description="Seconds a stream token lives.")
    vad_start_db: float = Field(default=-35.0, description="dBFS a frame needs to be speech.")
    vad_start_frames: int = Field(default=3, ge=1, description="20 ms frames to start speech.")
    vad_stop_frames: int = Field(default=15, ge=1, description="Quiet frames to end speech.")
    log_level: str = Field(default="INFO")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def accepts_key(self, key: str) -> bool:
        """True when no keys are configured, or ``key`` is one of them (constant time)."""
        if not self.api_keys:
            return True
        found = False
        for secret in self.api_keys:
            found |= hmac.compare_digest(key.encode(), secret.get_secret_value().encode())
        return found
