"""The job runner: takes job ids from the shared durable pull consumer, runs each job, and
acknowledges it only once it has ended (completed, failed or cancelled).

While a job runs, its message gets an in-progress ack and its record a lease renewal every
third of ``ack_wait``, so a long job is never given to another runner while this one lives.
If this process dies (or NATS does), the unacknowledged message is delivered again after
``ack_wait`` to any runner, which goes on from the sentences already stored. Runners on
several hosts share the work; each takes ``runners`` jobs at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass

from nats.aio.msg import Msg

from hub.client import HubClient
from hub.jobs.execution import JobExecution, JobFailed
from hub.jobs.ledger import JobLedger, JobStopped
from hub.jobs.model import JobRecord, JobStatus
from hub.jobs.settings import JobSettings
from hub.jobs.store import CONSUMER, JobNotFoundError, JobStore
from hub.jobs.webhook import deliver

_LOGGER = logging.getLogger(__name__)

_FETCH_SECONDS = 1.0


@dataclass
class _Running:
    execution: JobExecution
    message: Msg
    cancelled: bool = False


class JobRunner:
    def __init__(self, hub: HubClient, store: JobStore, settings: JobSettings) -> None:
        self.hub = hub
        self.store = store
        self.settings = settings
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._running: dict[str, _Running] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> list[str]:
        """Ids of the jobs this runner is working on."""
        return list(self._running)

    async def run(self, stop: asyncio.Event) -> None:
        """Take and run jobs until ``stop`` is set; jobs still running are handed back."""
        names = self.store.names
        pull = await self.store.js.pull_subscribe_bind(CONSUMER, names.stream)
        cancels = await self.hub.nc.subscribe(names.cancel_all, cb=self._on_cancel)
        slots = asyncio.Semaphore(self.settings.runners)
        _LOGGER.info("job runner %s: %d job(s) at a time", self.owner, self.settings.runners)
        try:
            while await _free_slot(slots, stop):
                messages = await self._fetch(pull, stop)
                if not messages:
                    slots.release()
                for message in messages:
                    self._spawn(self._handle(message), slots)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await cancels.unsubscribe()
                await pull.unsubscribe()

    async def _fetch(self, pull: object, stop: asyncio.Event) -> list[Msg]:
        """The next job message, or none (after a second, or at once when stopping)."""
        fetching = asyncio.ensure_future(pull.fetch(1, timeout=_FETCH_SECONDS))  # type: ignore[attr-defined]
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetching, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetching.done():  # stopping: a job this fetch would get is delivered again
            fetching.cancel()
            return []
        try:
            return fetching.result()  # type: ignore[no-any-return]
        except TimeoutError:
            return []
        except Exception as error:  # NATS away or reconnecting: wait for it
            _LOGGER.debug("job runner: fetch failed (%s)", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), _FETCH_SECONDS)
            return []

    def _spawn(self, work: object, slots: asyncio.Semaphore) -> None:
        task = asyncio.ensure_future(work)  # type: ignore[arg-type]
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            slots.release()

        task.add_done_callback(done)

    async def _on_cancel(self, message: Msg) -> None:
        running = self._running.get(message.subject.rsplit(".", 1)[-1])
        if running is not None:
            running.cancelled = True
            running.execution.stop()

    # ---- one job ---------------------------------------------------------------------

    async def _handle(self, message: Msg) -> None:
        try:
            await self._take(message)
        except Exception as error:  # NATS lost before the job started: delivered again
            _LOGGER.warning("job message not taken (%s); it will be delivered again", error)

    async def _take(self, message: Msg) -> None:
        job_id = message.data.decode(errors="replace")
        if job_id in self._running:  # delivered again while we run it: keep that message
            self._running[job_id].message = message
            return
        try:
            record, revision = await self.store.get(job_id)
        except JobNotFoundError:
            await message.term()  # past its retention, or never stored
            return
        if record.status.finished:  # its runner died before the ack: the webhook again
            await self._notify(record)
            await message.ack()
            return
        now = time.time()
        if record.owner not in (None, self.owner) and record.lease_until > now:
            await message.nak(delay=record.lease_until - now)  # another runner has it
            return
        ledger = JobLedger(self.store, record, revision, self.owner, 2 * self.settings.ack_wait)
        execution = JobExecution(self.hub, ledger, self.settings.sentences_in_flight)
        self._running[job_id] = running = _Running(execution, message)
        heartbeat = asyncio.create_task(self._heartbeat(running, ledger))
        try:
            await self._run(running, ledger)
        finally:
            heartbeat.cancel()
            del self._running[job_id]

    async def _run(self, running: _Running, ledger: JobLedger) -> None:
        job_id = ledger.job_id
        try:
            await running.execution.run()
            await ledger.finish(JobStatus.COMPLETED)
        except JobFailed as error:
            _LOGGER.warning("job %s failed: %s", job_id, error)
            await ledger.finish(JobStatus.FAILED, str(error))
        except (JobStopped, asyncio.CancelledError) as error:
            if not (isinstance(error, JobStopped) or running.cancelled):
                await _hand_back(running.message, ledger)  # this runner is stopping
                raise
            if not await self._was_cancelled(ledger):
                _LOGGER.info("job %s: %s", job_id, error)
                return  # another runner holds it now
        except Exception as error:  # NATS lost mid-job: the job resumes when delivered again
            _LOGGER.warning("job %s interrupted (%s); it will resume", job_id, error)
            await _hand_back(running.message, ledger, delay=2.0)
            return
        _LOGGER.info("job %s %s", job_id, ledger.record.status.value)
        await self._notify(ledger.record)
        await running.message.ack()

    async def _was_cancelled(self, ledger: JobLedger) -> bool:
        ledger.record, ledger.revision = await self.store.get(ledger.job_id)
        return ledger.record.status is JobStatus.CANCELLED

    async def _heartbeat(self, running: _Running, ledger: JobLedger) -> None:
        while True:
            await asyncio.sleep(self.settings.ack_wait / 3)
            try:
                await running.message.in_progress()
                await ledger.renew()
            except JobStopped:
                running.cancelled = ledger.record.status is JobStatus.CANCELLED
                running.execution.stop()
                return
            except Exception as error:  # NATS away: the next beat tries again
                _LOGGER.debug("job %s: heartbeat failed (%s)", ledger.job_id, error)

    async def _notify(self, record: JobRecord) -> None:
        secret = self.settings.webhook_secret
        if not record.webhook_url or secret is None:
            return
        await deliver(
            record.webhook_url,
            f"job.{record.status.value}",
            {"type": f"job.{record.status.value}", "job": record.public()},
            secret.get_secret_value(),
            timeout=self.settings.webhook_timeout,
            attempts=self.settings.webhook_attempts,
        )


async def _free_slot(slots: asyncio.Semaphore, stop: asyncio.Event) -> bool:
    """Take a slot, or return False once ``stop`` is set (whichever comes first)."""
    acquiring = asyncio.ensure_future(slots.acquire())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({acquiring, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not acquiring.done():
        acquiring.cancel()
        return False
    if stop.is_set():
        slots.release()
        return False
    return True


async def _hand_back(message: Msg, ledger: JobLedger, delay: float | None = None) -> None:
    """Give the job back now (not after ack_wait) with its lease, if NATS is there."""
    with contextlib.suppress(Exception):
        await ledger.release()
    with contextlib.suppress(Exception):
        await message.nak(delay=delay)
