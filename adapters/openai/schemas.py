"""Request and answer bodies of the OpenAI-compatible routes (OpenAI's field names)."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

ResponseFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]
StreamFormat = Literal["audio", "sse"]
Priority = Literal["realtime", "interactive", "batch"]


class VoiceRef(BaseModel):
    """A voice given as an object, as OpenAI's custom voices are: ``{"id": "..."}``."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, description="Voice name (hub voice or OpenAI alias).")


class SpeechRequest(BaseModel):
    """``POST /v1/audio/speech``: every field of OpenAI's ``CreateSpeechRequest``.

    ``language``, ``speaker``, ``cache`` and ``priority`` are voicebus extensions (send them
    with the SDK's ``extra_body``); other unknown fields are ignored.
    """

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "model": "tts-1",
                    "input": "Hello from voicebus.",
                    "voice": "alloy",
                    "response_format": "mp3",
                }
            ]
        },
    )

    model: str = Field(
        min_length=1,
        description="tts-1, tts-1-hd, gpt-4o-mini-tts (any engine by default) or an engine name.",
    )
    input: str = Field(description="Text to speak; at most 4096 characters by default.")
    voice: Annotated[str, Field(min_length=1)] | VoiceRef = Field(
        description="An OpenAI voice name (alloy, ash, ...), a hub voice name "
        "(optionally 'voice:speaker'), or {'id': ...}."
    )
    instructions: str | None = Field(
        default=None,
        max_length=4096,
        description="Delivery instructions, for engines that use them.",
    )
    response_format: ResponseFormat = Field(
        default="mp3", description="pcm is raw 24 kHz 16-bit little-endian mono, no header."
    )
    speed: float = Field(default=1.0, description="0.25 to 4.0; a JSON number.")
    stream_format: StreamFormat = Field(
        default="audio", description="audio: the file's bytes; sse: server-sent events."
    )
    language: str | None = Field(
        default=None, description="voicebus extension: language hint (e.g. en_US)."
    )
    speaker: str | None = Field(
        default=None, description="voicebus extension: speaker of a multi-speaker voice."
    )
    cache: bool = Field(
        default=True,
        description="voicebus extension: false makes every sentence afresh (no cache read or "
        "write); the answer's X-Voicebus-Cache says hit, miss or partial.",
    )
    priority: Priority = Field(
        default="interactive",
        description="voicebus extension: realtime, interactive or batch; engines serve a "
        "higher class first.",
    )

    @field_validator("speed", mode="before")
    @classmethod
    def _real_speed(cls, value: object) -> float:
        """A JSON number from 0.25 to 4.0: no strings, booleans, NaN or infinities."""
        message = "speed must be a number from 0.25 to 4.0"
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            raise PydanticCustomError("float_type", message)
        if value < 0.25:
            raise PydanticCustomError("greater_than_equal", message)
        if value > 4.0:
            raise PydanticCustomError("less_than_equal", message)
        return float(value)

    @property
    def voice_name(self) -> str:
        return self.voice.id if isinstance(self.voice, VoiceRef) else self.voice


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    engine: str | None = Field(default=None, description="Engine it routes to; null: any.")


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class VoiceCard(BaseModel):
    id: str
    name: str
    object: Literal["voice"] = "voice"
    engine: str
    languages: list[str]
    speakers: list[str]
    sample_rate: int
    clones: bool
    description: str
    aliases: list[str] = Field(description="OpenAI voice names that map to this voice.")


class VoiceList(BaseModel):
    object: Literal["list"] = "list"
    data: list[VoiceCard]
    aliases: dict[str, str] = Field(description="Every voice alias and the hub voice it names.")
