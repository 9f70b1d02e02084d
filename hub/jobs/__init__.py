"""Durable jobs in JetStream: long texts made sentence by sentence at the batch priority,
stored as they are made, so a job survives the crash of any process and resumes where it
stopped. See docs/jobs.md.

``Jobs`` (submit, read, follow, cancel) is what the REST adapter and the CLI use;
``JobRunner`` runs jobs (inside the REST adapter); ``encoded_content`` makes the audio.
"""

from hub.jobs.content import encoded_content
from hub.jobs.model import JobRecord, JobSpec, JobStatus, Progress
from hub.jobs.runner import JobRunner
from hub.jobs.service import JobFinishedError, JobNotReadyError, Jobs
from hub.jobs.settings import JobSettings
from hub.jobs.store import JobNotFoundError, JobStore

__all__ = [
    "JobFinishedError",
    "JobNotFoundError",
    "JobNotReadyError",
    "JobRecord",
    "JobRunner",
    "JobSettings",
    "JobSpec",
    "JobStatus",
    "JobStore",
    "Jobs",
    "Progress",
    "encoded_content",
]
