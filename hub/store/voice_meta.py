"""What the voice library knows about a cloned voice, and the rules for names and fields."""

from __future__ import annotations

import re
import time

from pydantic import BaseModel, ConfigDict, Field

from hub.contract.errors import InvalidRequestError
from hub.store.clips import CLIP_RATE

MAX_TRANSCRIPT_CHARS = 2000
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_-])?$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


class ClonedVoiceMeta(BaseModel):
    """What the library knows about one cloned voice (the value in the key-value bucket)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    transcript: str | None = None
    language: str | None = None
    digest: str = Field(description="sha256 of the stored WAV; also its object name.")
    sample_rate: int = CLIP_RATE
    duration_seconds: float
    size_bytes: int = Field(description="Size of the stored WAV.")
    created: float = Field(default_factory=time.time)


def check_name(name: str) -> str:
    """A voice name: letters, digits, '_', '-', '.' (not first or last), at most 64."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise InvalidRequestError(
            f"invalid voice name {name!r}",
            "use 1 to 64 letters, digits, '_', '-' or '.', starting with a letter or digit "
            "and not ending with '.'",
        )
    return name


def check_language(language: str | None) -> str | None:
    if language is None or language == "":
        return None
    if not _LANGUAGE.match(language):
        raise InvalidRequestError(f"invalid language {language!r}", "use a code like en or en-US")
    return language


def check_transcript(transcript: str | None) -> str | None:
    if transcript is None or not transcript.strip():
        return None
    if len(transcript) > MAX_TRANSCRIPT_CHARS:
        raise InvalidRequestError(
            f"transcript has {len(transcript)} characters; at most {MAX_TRANSCRIPT_CHARS}"
        )
    return transcript.strip()
