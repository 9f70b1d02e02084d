"""Settings of durable jobs, read by every process that submits or runs them.

``VOICEBUS_JOBS_*`` variables and the ``[jobs]`` table of the config file (the same rule
as an adapter's table: :class:`hub.settings.AdapterSettings` with the name ``jobs``), so one
value serves the REST adapter that runs jobs and the CLI that submits them.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from hub.settings import AdapterSettings


class JobSettings(AdapterSettings):
    """What jobs may be and how they run; see docs/jobs.md."""

    adapter_name: ClassVar[str] = "jobs"

    bucket: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Name of the jobs' stream and buckets; default '<subject prefix>-jobs'.",
    )
    enabled: bool = Field(
        default=True, description="Serve /v1/audio/jobs and run jobs in the REST adapter."
    )
    max_chars: int = Field(
        default=500_000, ge=1, description="Longest job input (all its texts together)."
    )
    max_texts: int = Field(default=1000, ge=1, description="Most texts in one job's input list.")
    retention_seconds: float = Field(
        default=7 * 24 * 3600.0,
        gt=0,
        description="How long a job's record and audio are kept after they were last written.",
    )
    runners: int = Field(
        default=2, ge=0, description="Jobs one process runs at once (0: submit only, run none)."
    )
    sentences_in_flight: int = Field(
        default=2, ge=1, description="Sentences of one job synthesised at once."
    )
    ack_wait: float = Field(
        default=30.0,
        ge=1.0,
        description="Seconds without a runner's heartbeat before a job is given to another.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Key of the webhook signature (HMAC-SHA256); never logged."
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, description="Seconds one webhook delivery may take."
    )
    webhook_attempts: int = Field(default=3, ge=1, description="Tries of a webhook delivery.")
