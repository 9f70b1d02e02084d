"""The job runner on the real bus: a stopped runner hands its job (and lease) straight to
the next, which makes only the missing sentences; writes notice a cancel from elsewhere."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid

import pytest

from hub.audio import AudioSpec
from hub.client import DEFAULT_VOICE, HubClient
from hub.jobs import (
    JobRecord,
    JobRunner,
    Jobs,
    JobSettings,
    JobSpec,
    JobStatus,
    Progress,
    encoded_content,
)
from hub.jobs.ledger import JobLedger, JobStopped
from tests.helpers import assert_is_speech, story

TOTAL = 10


def _settings(**overrides: object) -> JobSettings:
    values: dict[str, object] = {"bucket": f"test-runner-{uuid.uuid4().hex[:8]}", "runners": 1}
    return JobSettings(**(values | overrides))


async def _submit(jobs: Jobs, text: str) -> str:
    spec = JobSpec(voice=DEFAULT_VOICE, response_format="pcm")
    return (await jobs.submit([text], spec, requested_voice=DEFAULT_VOICE)).id


async def test_a_stopped_runner_hands_its_job_to_the_next(
    hub: HubClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hub.jobs")
    settings = _settings(ack_wait=60.0)  # a hand-back must not wait for the ack wait
    jobs = Jobs(hub, settings)
    store = await jobs.store()
    job_id = await _submit(jobs, story(TOTAL))

    first, stop_first = JobRunner(hub, store, settings), asyncio.Event()
    running = asyncio.create_task(first.run(stop_first))
    async for record in jobs.follow(job_id):
        if record.progress.done >= 2:
            break
    stop_first.set()
    await asyncio.wait_for(running, 10)
    handed = await jobs.get(job_id)
    assert handed.status is JobStatus.RUNNING and handed.owner is None
    assert handed.progress.done < TOTAL

    second, stop_second = JobRunner(hub, store, settings), asyncio.Event()
    running = asyncio.create_task(second.run(stop_second))
    try:
        async with asyncio.timeout(40):  # far less than the 60 s ack wait
            states = [record async for record in jobs.follow(job_id)]
    finally:
        stop_second.set()
        await asyncio.wait_for(running, 10)
    assert states[-1].status is JobStatus.COMPLETED, states[-1]
    assert states[-1].owner == second.owner
    runs = re.findall(rf"job {job_id}: (\d+) of {TOTAL} sentence", caplog.text)
    assert len(runs) == 2 and int(runs[0]) == TOTAL, runs
    assert int(runs[1]) <= TOTAL - handed.progress.done, (runs, handed.progress)

    content = encoded_content(store, job_id, TOTAL, AudioSpec("pcm", rate=22050))
    pcm = b"".join([data async for data in content])
    assert_is_speech(pcm, 22050, story(TOTAL))


async def test_a_cancel_written_elsewhere_stops_the_next_write(hub: HubClient) -> None:
    jobs = Jobs(hub, _settings())
    store = await jobs.store()
    job_id = await _submit(jobs, "One sentence here.")
    record, revision = await store.get(job_id)
    ledger = JobLedger(store, record, revision, "runner-a", lease=60)
    await ledger.renew()
    assert (await jobs.get(job_id)).owner == "runner-a"
    await jobs.cancel(job_id)
    with pytest.raises(JobStopped):
        await ledger.sentence_done()
    assert (await jobs.get(job_id)).progress.done == 0  # the cancel was not overwritten
    other = JobLedger(store, *(await store.get(job_id)), "runner-b", lease=60)
    with pytest.raises(JobStopped):
        await other.renew()


async def test_runners_share_the_jobs(hub: HubClient) -> None:
    """Two runners (as on two hosts) on one consumer: two jobs, one each."""
    settings = _settings()
    jobs = Jobs(hub, settings)
    store = await jobs.store()
    runners = [JobRunner(hub, store, settings) for _ in range(2)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(runner.run(stop)) for runner in runners]
    try:
        ids = [await _submit(jobs, story(3)) for _ in range(2)]
        async with asyncio.timeout(60):
            ends = [[record async for record in jobs.follow(job_id)][-1] for job_id in ids]
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert [end.status for end in ends] == [JobStatus.COMPLETED] * 2
    assert {end.owner for end in ends} == {runner.owner for runner in runners}


async def test_a_sentence_that_cannot_be_made_fails_the_job(hub: HubClient) -> None:
    settings = _settings()
    jobs = Jobs(hub, settings)
    store = await jobs.store()
    record = JobRecord(
        id=f"job_{uuid.uuid4().hex}", progress=Progress(done=0, total=2),
        spec=JobSpec(voice=DEFAULT_VOICE), requested_voice=DEFAULT_VOICE,
    )  # fmt: skip
    await store.submit(record, ["Hello there.", "!!!"])  # as no submission would cut it
    runner, stop = JobRunner(hub, store, settings), asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    try:
        async with asyncio.timeout(30):
            end = [state async for state in jobs.follow(record.id)][-1]
    finally:
        stop.set()
        await running
    assert end.status is JobStatus.FAILED and end.progress.done <= 1
    assert end.error is not None and end.error.startswith("sentence 2: text is empty")
