"""A job as it is stored: what to say and how (:class:`JobSpec`), and where it is
(:class:`JobRecord`, one JSON value in the jobs key-value bucket)."""

from __future__ import annotations

import time
import uuid
from enum import StrEnum

from pydantic import BaseModel, Field

from hub.client.speakable import speakable
from hub.client.text import DEFAULT_MAX_SENTENCE_CHARS, split_sentences


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class JobSpec(BaseModel):
    """How every sentence of the job is spoken (the hub voice, already resolved)."""

    voice: str
    speaker: str | None = None
    language: str | None = None
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    instructions: str | None = None
    engine: str | None = None
    response_format: str = "mp3"
    output_rate: int | None = None


class Progress(BaseModel):
    done: int = 0
    total: int = 0


class JobRecord(BaseModel):
    id: str
    status: JobStatus = JobStatus.QUEUED
    progress: Progress
    spec: JobSpec
    requested_voice: str = Field(description="The voice name as the client gave it.")
    model: str = ""
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    error: str | None = None
    webhook_url: str | None = None
    owner: str | None = Field(default=None, description="Runner holding the job's lease.")
    lease_until: float = 0.0

    def public(self) -> dict[str, object]:
        """The job as the REST API and the CLI show it."""
        return {
            "id": self.id,
            "object": "audio.job",
            "status": self.status.value,
            "progress": self.progress.model_dump(),
            "voice": self.requested_voice,
            "model": self.model,
            "response_format": self.spec.response_format,
            "created_at": int(self.created_at),
            "error": self.error,
        }


def new_job_id() -> str:
    return f"job_{uuid.uuid4().hex}"


def plan_sentences(
    texts: list[str], max_sentence_chars: int = DEFAULT_MAX_SENTENCE_CHARS
) -> list[str]:
    """Every sentence of every text, in order, cut once at submission so that every runner
    (and every restart) works on the same list."""
    return [
        sentence
        for text in texts
        for sentence in split_sentences(speakable(text), max_sentence_chars)
    ]
