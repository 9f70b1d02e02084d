"""A worker's admitted jobs: the priority queue, the slots, and which jobs may be handed back.

Jobs are served by (priority class rank, priority, arrival): realtime before interactive
before batch, and within a class a text's earlier sentences first. So a batch sentence
delays a realtime first sentence by at most the sentence already running.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from pydantic import ValidationError

from hub.contract.schemas import CancelRequest
from hub.engine.announcer import WorkerStats
from hub.engine.replies import Job

_LOGGER = logging.getLogger(__name__)


class JobBoard:
    """Jobs by request id, the queue of those not started, and the slot arithmetic."""

    def __init__(self, concurrency: int, stats: WorkerStats) -> None:
        self.concurrency = concurrency
        self._stats = stats
        self.jobs: dict[str, Job] = {}
        self._queue: asyncio.PriorityQueue[tuple[int, int, int, Job]] = asyncio.PriorityQueue()
        self._arrivals = itertools.count()

    def add(self, job: Job) -> None:
        """Admit ``job``: known by its id and queued for a slot."""
        self.jobs[job.request.request_id] = job
        self._enqueue(job)

    async def next(self) -> Job:
        """The most urgent queued job that is still ours (waits for one)."""
        while True:
            job = (await self._queue.get())[-1]
            if job.request.request_id in self.jobs:
                return job

    def pop(self, request_id: str) -> Job | None:
        """Forget a job (it ended or was handed back); None if it was not ours."""
        return self.jobs.pop(request_id, None)

    def cancel(self, request_id: str, data: bytes) -> None:
        """A cancel arrived: a queued job is dropped when its turn comes, a running one stops."""
        job = self.jobs.get(request_id)
        if job is None:
            return
        try:
            reason = CancelRequest.model_validate_json(data).reason
        except ValidationError:
            reason = "client"
        _LOGGER.debug("cancelling %s (%s)", request_id, reason)
        job.cancelled.set()

    def queued(self) -> int:
        return self._queue.qsize()

    def free_slots(self) -> int:
        """Slots with nothing running or queued for them."""
        return self.concurrency - self._stats.in_flight - self._queue.qsize()

    def waiting(self) -> int:
        """Queued jobs beyond the free slots that will take them at once."""
        return max(0, self._queue.qsize() - (self.concurrency - self._stats.in_flight))

    def take_for_peer(self) -> Job | None:
        """The most urgent waiting job, out of the queue, if its client re-sends on ``busy``."""
        if self.waiting() == 0:
            return None
        job = self._pop_best()
        if job is not None and not job.request.retry_on_busy:
            self._enqueue(job)  # an older client would not re-send it: keep it
            return None
        return job

    def _enqueue(self, job: Job) -> None:
        key = (job.request.priority_class.rank, job.request.priority, next(self._arrivals))
        self._queue.put_nowait((*key, job))

    def _pop_best(self) -> Job | None:
        while not self._queue.empty():
            job = self._queue.get_nowait()[-1]
            if job.request.request_id in self.jobs:
                return job
        return None
