"""Shared parts of the job tests: an adapter with its own set of jobs on the shared bus,
and readers of a job's server-sent events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx2

from adapters.openai.app import OpenAIAdapter
from hub.client import HubClient
from hub.jobs import JobSettings
from tests.adapters.openai.support import RunningAdapter, adapter_settings

WEBHOOK_SECRET = "test-webhook-secret"


def job_settings(**overrides: Any) -> JobSettings:
    """Jobs of this test module's own (their own stream and buckets), a short ack wait."""
    values: dict[str, Any] = {
        "bucket": f"test-jobs-{uuid.uuid4().hex[:8]}",
        "ack_wait": 3.0,
        "max_chars": 3000,
        "webhook_secret": WEBHOOK_SECRET,
        "webhook_attempts": 1,
    }
    return JobSettings(**(values | overrides))


@contextlib.asynccontextmanager
async def jobs_adapter(hub: HubClient, jobs: JobSettings) -> AsyncIterator[RunningAdapter]:
    adapter = OpenAIAdapter(adapter_settings(), hub, jobs)
    stop = asyncio.Event()
    task = asyncio.create_task(adapter.serve(stop))
    try:
        await adapter.wait_started()
        yield RunningAdapter(adapter)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def submit(http: httpx2.AsyncClient, **body: Any) -> dict[str, Any]:
    answer = await http.post("/v1/audio/jobs", json={"model": "tts-1", "voice": "alloy", **body})
    assert answer.status_code == 202, answer.text
    job: dict[str, Any] = answer.json()
    return job


Event = tuple[str, dict[str, Any]]


async def events(http: httpx2.AsyncClient, job_id: str) -> AsyncIterator[Event]:
    """Each (event name, job) of the job's SSE stream, until it ends."""
    async with http.stream("GET", f"/v1/audio/jobs/{job_id}/events") as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        name = ""
        async for line in answer.aiter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                yield name, json.loads(line.removeprefix("data: "))


async def finished(http: httpx2.AsyncClient, job_id: str) -> list[Event]:
    return [event async for event in events(http, job_id)]
