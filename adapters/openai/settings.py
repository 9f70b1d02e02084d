"""Settings of the OpenAI-compatible REST adapter.

Values come from, highest first: keyword arguments (CLI flags, ``voicebus up --set``),
``VOICEBUS_OPENAI_*`` environment variables (nested keys with ``__``, e.g.
``VOICEBUS_OPENAI_VOICE_ALIASES__ALLOY=en_US-amy-medium``), the ``[openai]`` table of the
TOML config file, then defaults (:class:`hub.settings.AdapterSettings`).
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any, ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from hub.client import DEFAULT_VOICE
from hub.keys import AuthMode
from hub.settings import AdapterSettings

OPENAI_VOICES: tuple[str, ...] = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx",
    "nova", "sage", "shimmer", "verse", "marin", "cedar",
)  # fmt: skip
"""OpenAI's built-in voice names; each is an alias of a hub voice."""

OPENAI_MODELS: tuple[str, ...] = (
    "tts-1",
    "tts-1-hd",
    "gpt-4o-mini-tts",
    "gpt-4o-mini-tts-2025-12-15",
)
"""OpenAI's speech model names; each is an alias of an engine (or of "any engine")."""

_ANY_ENGINE = frozenset({"", "any", "*"})


def _split_list(value: Any) -> Any:
    """Accept a JSON list or a comma-separated string where a list is expected."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [item.strip() for item in text.split(",") if item.strip()]


class OpenAISettings(AdapterSettings):
    """Everything the OpenAI adapter can be told; see docs/openai.md."""

    adapter_name: ClassVar[str] = "openai"

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port to listen on (0: any).")
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Static bearer keys, all-powerful and unlimited (comma separated in env); "
        "run-time keys with scopes and limits come from 'voicebus keys create'.",
    )
    auth: AuthMode = Field(
        default=AuthMode.AUTO,
        description="auto: ask for a key once api_keys are set or any run-time key exists; "
        "required: always ask; off: never ask (docs/keys.md).",
    )
    default_voice: str = Field(
        default=DEFAULT_VOICE, description="Hub voice every OpenAI voice name maps to by default."
    )
    voice_aliases: dict[str, str] = Field(
        default_factory=dict,
        description="Voice name -> hub voice, on top of (and overriding) the built-in map.",
    )
    model_aliases: dict[str, str | None] = Field(
        default_factory=dict,
        description="Model name -> engine (null/'any': any engine), on top of the built-ins.",
    )
    strict_models: bool = Field(
        default=True, description="Reject unknown model names (else: any engine)."
    )
    max_input_chars: int = Field(default=4096, ge=1, description="Longest speech input.")
    max_generate_chars: int = Field(
        default=20_000, ge=1, description="Longest text for the /tts/generate provider route."
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="Largest request body accepted (413 above)."
    )
    collect_max_chars: int = Field(
        default=300,
        ge=0,
        description="Single-sentence pcm/wav inputs up to this length are answered whole "
        "(Content-Length and timing headers); 0 streams everything.",
    )
    output_rate: int | None = Field(
        default=None,
        gt=0,
        description="Rate for mp3/aac/flac/wav; None keeps the engine's rate. "
        "pcm is always 24000 Hz and opus 48000 Hz.",
    )
    encode_threads: int = Field(
        default=4, ge=1, description="Threads sealing whole WAV answers and provider WAVs."
    )
    retry_after: int = Field(
        default=5, ge=1, description="Retry-After seconds sent with 429 and 503 answers."
    )
    provider_api_auth: bool = Field(
        default=True,
        description="Require the API key on /tts/* too (Voicebox sends none).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Browser origins allowed by CORS; empty: no CORS."
    )
    log_level: str = Field(default="info", description="uvicorn log level.")
    access_log: bool = Field(default=True, description="Log every HTTP request.")
    header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a request's headers may take to arrive (408)."
    )
    max_connections: int = Field(
        default=256, ge=1, description="Open connections at once; more get a 503 and are closed."
    )
    body_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a request body may stall while arriving (408)."
    )
    shutdown_timeout: float = Field(
        default=5.0, ge=0, description="Seconds open responses get to finish on shutdown."
    )

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("model_aliases", mode="after")
    @classmethod
    def _any_engine(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        return {
            model: None if engine is None or engine.strip().lower() in _ANY_ENGINE else engine
            for model, engine in value.items()
        }

    @field_validator("voice_aliases", mode="after")
    @classmethod
    def _lower_voices(cls, value: dict[str, str]) -> dict[str, str]:
        return {name.lower(): voice for name, voice in value.items()}

    # ---- derived -----------------------------------------------------------------------

    def voice_map(self) -> dict[str, str]:
        """Every voice alias (OpenAI's 13 names plus configured ones) -> hub voice."""
        return {name: self.default_voice for name in OPENAI_VOICES} | self.voice_aliases

    def model_map(self) -> dict[str, str | None]:
        """Every model alias -> engine name, or None for "any engine"."""
        return {name: None for name in OPENAI_MODELS} | self.model_aliases

    @property
    def auth_enabled(self) -> bool:
        """Whether static keys alone make a key required (run-time keys: see Gatekeeper)."""
        return self.auth is not AuthMode.OFF and bool(self.api_keys)

    def accepts_key(self, key: str) -> bool:
        """Constant-time check of a presented key against every configured key."""
        presented = key.encode()
        found = False
        for secret in self.api_keys:
            found |= hmac.compare_digest(presented, secret.get_secret_value().encode())
        return found
