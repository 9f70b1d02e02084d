"""One job run by one runner: every sentence not stored yet, a few at a time, each its own
hub stream at the ``batch`` priority class; each sentence's PCM is stored before it counts.

A sentence already in the object store is skipped, so a job that is run again after a
crash goes on where it stopped and never makes a sentence twice into its content. Cancel
(``stop()``) cancels the sentence tasks: closing their streams cancels them on the bus.
"""

from __future__ import annotations

import asyncio
import logging

from hub.client import HubClient
from hub.contract.errors import InvalidRequestError, TextTooLongError, VoicebusError
from hub.contract.schemas import PriorityClass
from hub.jobs.ledger import JobLedger, JobStopped
from hub.jobs.model import JobRecord, JobSpec, JobStatus

_LOGGER = logging.getLogger(__name__)

PERMANENT_ERRORS = (InvalidRequestError, TextTooLongError)
"""A sentence that fails so fails the job; other hub errors are retried (engines restart)."""
SENTENCE_ATTEMPTS = 8
"""Tries of one sentence, with backoff (2, 4, 8, then 10 s): about a minute for engines
to come back before the job fails with their error."""


class JobFailed(Exception):
    """A sentence could not be made; the message says which and why."""


class JobExecution:
    def __init__(self, hub: HubClient, ledger: JobLedger, sentences_in_flight: int) -> None:
        self.hub = hub
        self.ledger = ledger
        self.store = ledger.store
        self._width = sentences_in_flight
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = False

    @property
    def job_id(self) -> str:
        return self.ledger.job_id

    async def run(self) -> None:
        """Make every missing sentence; raises JobStopped, JobFailed or a bus error."""
        sentences = await self.store.sentences(self.job_id)
        missing = [i for i in range(len(sentences)) if not await self._stored(i)]
        stored = len(sentences) - len(missing)

        def running(record: JobRecord) -> None:
            record.status = JobStatus.RUNNING
            record.progress.done = stored

        await self.ledger.write(running)
        _LOGGER.info(
            "job %s: %d of %d sentence(s) to make", self.job_id, len(missing), len(sentences)
        )
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in missing:
            queue.put_nowait(index)
        spec = self.ledger.record.spec
        if self._stopped:
            raise JobStopped("stopped")
        self._tasks = [
            asyncio.create_task(self._work(queue, sentences, spec))
            for _ in range(min(self._width, len(missing)))
        ]
        try:
            await asyncio.gather(*self._tasks)
        except asyncio.CancelledError:
            if self._stopped:
                raise JobStopped("stopped") from None
            raise
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def stop(self) -> None:
        """Cancel the sentences being made (their streams close, cancelling on the bus)."""
        self._stopped = True
        for task in self._tasks:
            task.cancel()

    async def _stored(self, index: int) -> bool:
        return await self.store.has_sentence(self.job_id, index)

    async def _work(self, queue: asyncio.Queue[int], sentences: list[str], spec: JobSpec) -> None:
        while not queue.empty():
            index = queue.get_nowait()
            pcm, rate = await self._make(sentences[index], spec, index)
            await self.store.put_sentence(self.job_id, index, pcm, rate)
            await self.ledger.sentence_done()

    async def _make(self, text: str, spec: JobSpec, index: int) -> tuple[bytes, int]:
        for attempt in range(1, SENTENCE_ATTEMPTS + 1):
            try:
                return await self._synthesize(text, spec)
            except PERMANENT_ERRORS as error:
                raise JobFailed(f"sentence {index + 1}: {error.message}") from None
            except VoicebusError as error:
                if attempt == SENTENCE_ATTEMPTS:
                    raise JobFailed(f"sentence {index + 1}: {error.message}") from None
                _LOGGER.info(
                    "job %s: sentence %d failed (%s); trying again", self.job_id, index, error
                )
                await asyncio.sleep(min(2**attempt, 10))  # backoff while engines come back
        raise AssertionError("unreachable")

    async def _synthesize(self, text: str, spec: JobSpec) -> tuple[bytes, int]:
        stream = await self.hub.open(
            text,
            spec.voice,
            speaker=spec.speaker,
            language=spec.language,
            speed=spec.speed,
            instructions=spec.instructions,
            engine=spec.engine,
            priority_class=PriorityClass.BATCH,
        )
        async with stream:
            pcm = b"".join([chunk async for chunk in stream])
        return pcm, stream.sample_rate
