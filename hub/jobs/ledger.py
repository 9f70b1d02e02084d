"""Every write to one job's record, compare-and-set, so that a cancel from another process
or a runner that took the job over is noticed at the next write, never overwritten."""

from __future__ import annotations

import time
from collections.abc import Callable

from hub.jobs.model import JobRecord, JobStatus
from hub.jobs.store import JobConflictError, JobStore


class JobStopped(Exception):
    """The job must stop here: cancelled, or its lease went to another runner."""


class JobLedger:
    def __init__(
        self, store: JobStore, record: JobRecord, revision: int, owner: str, lease: float
    ) -> None:
        self.store = store
        self.record = record
        self.revision = revision
        self.owner = owner
        self.lease = lease

    @property
    def job_id(self) -> str:
        return self.record.id

    async def write(self, change: Callable[[JobRecord], None]) -> JobRecord:
        """Apply ``change`` to the latest record and store it (read again after a conflict).

        Raises :class:`JobStopped` when the latest record says the job was cancelled or
        another runner holds it."""
        while True:
            self._check()
            record = self.record.model_copy(deep=True)
            change(record)
            record.owner = self.owner
            record.updated_at = time.time()
            if not record.status.finished:
                record.lease_until = record.updated_at + self.lease
            try:
                self.revision = await self.store.update(record, self.revision)
            except JobConflictError:
                self.record, self.revision = await self.store.get(self.job_id)
                continue
            self.record = record
            return record

    async def renew(self) -> None:
        """Extend the lease (the heartbeat)."""
        await self.write(lambda record: None)

    async def sentence_done(self) -> None:
        def count(record: JobRecord) -> None:
            record.progress.done += 1

        await self.write(count)

    async def finish(self, status: JobStatus, error: str | None = None) -> None:
        def end(record: JobRecord) -> None:
            record.status = status
            record.error = error
            record.lease_until = 0.0

        await self.write(end)

    async def release(self) -> None:
        """Give up the lease, so that another runner may take the job at once."""
        self._check()
        record = self.record.model_copy(deep=True)
        record.owner, record.lease_until, record.updated_at = None, 0.0, time.time()
        self.revision = await self.store.update(record, self.revision)
        self.record = record

    def _check(self) -> None:
        record = self.record
        if record.status is JobStatus.CANCELLED:
            raise JobStopped("cancelled")
        if record.owner not in (None, self.owner) and record.lease_until > time.time():
            raise JobStopped(f"taken over by {record.owner}")
