"""What the REST adapter and the CLI do with jobs: submit (validated), read, follow, cancel.

``Jobs(hub, settings)`` opens the JetStream store on first use and shares it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from hub.client import HubClient
from hub.contract.errors import InvalidRequestError, TextTooLongError
from hub.jobs.model import JobRecord, JobSpec, JobStatus, Progress, new_job_id, plan_sentences
from hub.jobs.settings import JobSettings
from hub.jobs.store import JobConflictError, JobStore
from hub.jobs.webhook import check_url

if TYPE_CHECKING:
    from hub.jobs.runner import JobRunner

_WATCH_TIMEOUT = 30.0


class WebhookUrlError(InvalidRequestError):
    """``webhook_url`` is not usable (not http(s), or webhooks are off)."""


class SpeakerError(InvalidRequestError):
    """The voice has no such speaker."""


class JobFinishedError(Exception):
    """The job has already ended (it cannot be cancelled)."""


class JobNotReadyError(Exception):
    """The job's content is asked for before it completed."""


class Jobs:
    def __init__(self, hub: HubClient, settings: JobSettings, *, runs_jobs: bool = False) -> None:
        self.hub = hub
        self.settings = settings
        self.runs_jobs = runs_jobs
        """This process hosts a runner (its ack wait then rules the shared consumer)."""
        self._store: JobStore | None = None
        self._lock = asyncio.Lock()
        self.runner: JobRunner | None = None
        """The runner of this process, once it runs (if it hosts one)."""

    async def store(self) -> JobStore:
        async with self._lock:
            if self._store is None:
                prefix = self.hub.settings.subject_prefix
                self._store = await JobStore.open(
                    self.hub.nc, prefix, self.settings, runner=self.runs_jobs
                )
            return self._store

    async def submit(
        self,
        texts: list[str],
        spec: JobSpec,
        *,
        requested_voice: str,
        model: str = "",
        webhook_url: str | None = None,
    ) -> JobRecord:
        """Check the input and the voice, cut the sentences, store and queue the job."""
        sentences = self.plan(texts)
        if webhook_url is not None:
            self._check_webhook(webhook_url)
        route = await self.hub.wait_for_voice(
            spec.voice, language=spec.language, engine=spec.engine
        )
        speakers = route.voice.speakers
        if spec.speaker and spec.speaker not in speakers and not spec.speaker.isdigit():
            raise SpeakerError(f"voice {route.voice.name} has no speaker {spec.speaker!r}")
        record = JobRecord(
            id=new_job_id(),
            progress=Progress(done=0, total=len(sentences)),
            spec=spec,
            requested_voice=requested_voice,
            model=model,
            webhook_url=webhook_url,
        )
        await (await self.store()).submit(record, sentences)
        return record

    def plan(self, texts: list[str]) -> list[str]:
        if not texts:
            raise InvalidRequestError("input is empty", "send a text, or a list of texts")
        if len(texts) > self.settings.max_texts:
            raise InvalidRequestError(
                f"input has {len(texts)} texts; the limit is {self.settings.max_texts}"
            )
        chars = sum(len(text) for text in texts)
        if chars > self.settings.max_chars:
            raise TextTooLongError(
                f"input has {chars} characters; the limit for a job is {self.settings.max_chars}",
                "split it into several jobs, or raise VOICEBUS_JOBS_MAX_CHARS",
            )
        sentences = plan_sentences(texts, self.hub.settings.max_sentence_chars)
        if not sentences:
            raise InvalidRequestError("input has no words to speak", "send text with words in it")
        return sentences

    def _check_webhook(self, url: str) -> None:
        try:
            check_url(url)
        except ValueError as error:
            raise WebhookUrlError(str(error)) from None
        if self.settings.webhook_secret is None:
            raise WebhookUrlError(
                "webhooks are off: this server has no webhook secret",
                "set VOICEBUS_JOBS_WEBHOOK_SECRET, or leave out webhook_url",
            )

    async def get(self, job_id: str) -> JobRecord:
        record, _ = await (await self.store()).get(job_id)
        return record

    async def list(self) -> list[JobRecord]:
        return await (await self.store()).list()

    async def cancel(self, job_id: str) -> JobRecord:
        """Mark the job cancelled and tell its runner to stop now."""
        store = await self.store()
        while True:
            record, revision = await store.get(job_id)
            if record.status is JobStatus.CANCELLED:
                return record
            if record.status.finished:
                raise JobFinishedError(f"job {job_id} has already {record.status.value}")
            record.status = JobStatus.CANCELLED
            try:
                await store.update(record, revision)
            except JobConflictError:
                continue
            await self.hub.nc.publish(store.names.cancel(job_id), b"")
            return record

    async def follow(self, job_id: str) -> AsyncIterator[JobRecord]:
        """The record now, then the record after each sentence made, then the final one.

        Every value comes from one watch of the record (its current value, then each
        write), so no sentence's update can fall between reading and watching."""
        store = await self.store()
        await store.get(job_id)  # JobNotFoundError before anything is yielded
        watcher = await store.watch(job_id)
        last: int | None = None
        try:
            while True:
                try:
                    entry = await watcher.updates(timeout=_WATCH_TIMEOUT)
                except TimeoutError:
                    continue
                if entry is None:
                    continue  # the end of the current values
                if not entry.value:
                    return  # deleted or expired
                record = JobRecord.model_validate_json(entry.value)
                if record.progress.done != last or record.status.finished:
                    last = record.progress.done
                    yield record
                if record.status.finished:
                    return
        finally:
            await watcher.stop()

    async def content_record(self, job_id: str) -> JobRecord:
        """The record of a job whose content can be read (completed), else an error."""
        record = await self.get(job_id)
        if record.status is not JobStatus.COMPLETED:
            raise JobNotReadyError(
                f"job {job_id} is {record.status.value}; its content is ready once completed"
            )
        return record
