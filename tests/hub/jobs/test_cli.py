"""``voicebus say --job`` and ``voicebus jobs list | show | cancel``, run as commands against
the shared bus, with a job runner of this module's own (its own set of jobs)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.audio import decode_to_pcm
from hub.client import DEFAULT_VOICE, HubClient
from hub.jobs import Jobs, JobSpec, JobStatus
from hub.process.natsserver import NatsServer
from tests.adapters.openai.jobs_support import job_settings, jobs_adapter
from tests.adapters.openai.support import RunningAdapter
from tests.helpers import STORY, assert_is_speech, story

BUCKET = job_settings().bucket


@pytest.fixture(scope="module")
async def runner(hub: HubClient) -> AsyncIterator[RunningAdapter]:
    async with jobs_adapter(hub, job_settings(bucket=BUCKET)) as running:
        yield running


async def voicebus(
    nats_server: NatsServer, *args: str, bucket: str | None = BUCKET
) -> tuple[int, str, str]:
    """Run ``voicebus ARGS`` without blocking the loop the runner serves in."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", *args,
        env={**os.environ, "VOICEBUS_CONFIG": "", "VOICEBUS_NATS_URL": nats_server.url,
             "VOICEBUS_JOBS_BUCKET": str(bucket)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_say_job_writes_the_file_and_jobs_shows_it(
    runner: RunningAdapter, nats_server: NatsServer, tmp_path: Path, whisper: Any
) -> None:
    book, output = tmp_path / "book.txt", tmp_path / "book.mp3"
    text = " ".join(STORY[:3])
    book.write_text(text)
    code, _, err = await voicebus(nats_server, "say", "-f", str(book), "-o", str(output), "--job")
    assert code == 0, err
    assert "sentence" in err and "Traceback" not in err
    job_id = err.split("job ", 1)[1].split(":", 1)[0]
    pcm, rate, _ = decode_to_pcm(output.read_bytes(), "mp3")
    assert_is_speech(pcm, rate, text, whisper)

    code, out, err = await voicebus(nats_server, "jobs", "list", "--json")
    assert code == 0, err
    (listed,) = [job for job in json.loads(out) if job["id"] == job_id]
    assert listed["status"] == "completed" and listed["progress"] == {"done": 3, "total": 3}
    code, out, _ = await voicebus(nats_server, "jobs", "show", job_id)
    assert code == 0 and job_id in out and "completed" in out and "3/3" in out


async def test_jobs_cancel_cancels_and_unknown_ids_are_one_line(
    hub: HubClient, nats_server: NatsServer
) -> None:
    idle = job_settings()  # jobs that no runner takes: this one stays queued
    jobs = Jobs(hub, idle)
    spec = JobSpec(voice=DEFAULT_VOICE, response_format="wav")
    record = await jobs.submit([story(3)], spec, requested_voice=DEFAULT_VOICE)
    code, out, err = await voicebus(nats_server, "jobs", "cancel", record.id, bucket=idle.bucket)
    assert code == 0, err
    assert record.id in out and "cancelled" in out and "0/3" in out
    assert (await jobs.get(record.id)).status is JobStatus.CANCELLED
    code, _, err = await voicebus(nats_server, "jobs", "show", "job_nope")
    assert code == 1 and err.strip() == "Error: no job 'job_nope'"
