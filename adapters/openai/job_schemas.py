"""Bodies of ``/v1/audio/jobs``: the speech request's fields, ``input`` a text or a list of
texts, and an optional ``webhook_url``; a job as the API shows it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from adapters.openai.schemas import SpeechRequest


class JobRequest(SpeechRequest):
    """``POST /v1/audio/jobs``: every field of ``/v1/audio/speech`` (``stream_format`` is
    ignored: a job's audio is fetched from ``/content`` once it completed)."""

    input: str | list[str] = Field(  # type: ignore[assignment]
        description="Text to speak, or a list of texts spoken one after the other; "
        "at most VOICEBUS_JOBS_MAX_CHARS characters in all (500000 by default)."
    )
    webhook_url: str | None = Field(
        default=None,
        description="Called with a signed POST when the job ends (X-Voicebus-Signature).",
    )

    @property
    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)


class JobProgress(BaseModel):
    done: int = Field(description="Sentences made and stored.")
    total: int = Field(description="Sentences in the job.")


class JobView(BaseModel):
    id: str
    object: Literal["audio.job"] = "audio.job"
    status: Literal["queued", "running", "completed", "failed", "cancelled"]
    progress: JobProgress
    voice: str
    model: str
    response_format: str
    created_at: int = Field(description="Unix seconds.")
    error: str | None = None


class JobList(BaseModel):
    object: Literal["list"] = "list"
    data: list[JobView]
