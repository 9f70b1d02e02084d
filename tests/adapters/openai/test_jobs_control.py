"""Cancelling a job stops it and its engine work; the completion webhook is signed."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import pytest

from hub.client import HubClient
from hub.jobs import Jobs
from hub.jobs.store import sentence_name
from hub.jobs.webhook import SIGNATURE_HEADER, verify
from tests.adapters.openai.jobs_support import (
    WEBHOOK_SECRET,
    events,
    finished,
    job_settings,
    jobs_adapter,
    submit,
)
from tests.adapters.openai.support import RunningAdapter
from tests.helpers import STORY, story


@pytest.fixture(scope="module")
async def server(hub: HubClient) -> AsyncIterator[RunningAdapter]:
    async with jobs_adapter(hub, job_settings()) as running:
        yield running


@pytest.fixture
async def http(server: RunningAdapter) -> AsyncIterator[httpx2.AsyncClient]:
    async with server.http() as client:
        yield client


def _jobs(server: RunningAdapter) -> Jobs:
    jobs: Jobs = server.adapter.app.state.voicebus_jobs.jobs
    return jobs


async def _until(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _stored(jobs: Jobs, job_id: str, total: int) -> int:
    store = await jobs.store()
    return sum([await store.has_sentence(job_id, index) for index in range(total)])


async def test_cancel_stops_the_job_and_the_engine(
    server: RunningAdapter, http: httpx2.AsyncClient, hub: HubClient
) -> None:
    (worker,) = hub.engines()["piper"]
    cancelled_before = worker.cancelled
    total = 12
    job = await submit(http, input=story(total), response_format="pcm")
    async for _, event in events(http, job["id"]):
        if event["progress"]["done"] >= 1:
            break  # running, with the next sentences in flight on the engine
    answer = await http.delete(f"/v1/audio/jobs/{job['id']}")
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    assert [name for name, _ in await finished(http, job["id"])] == ["cancelled"]

    jobs = _jobs(server)
    assert jobs.runner is not None

    async def runner_let_go() -> bool:
        return job["id"] not in jobs.runner.active  # type: ignore[union-attr]

    await _until(runner_let_go, "the runner to drop the job")

    async def engine_idle() -> bool:
        (now,) = [w for w in await hub.refresh() if w.instance == worker.instance]
        return now.in_flight == 0 and now.queued == 0 and now.cancelled > cancelled_before

    await _until(engine_idle, "the engine to cancel the job's sentences and go idle")
    stored = await _stored(jobs, job["id"], total)
    record = await jobs.get(job["id"])
    assert record.status.value == "cancelled"
    assert 1 <= record.progress.done <= stored <= record.progress.done + 2 < total
    # Nothing is made after that: the runner let go and the engine is idle.
    assert (await _stored(jobs, job["id"], total)) == stored


class _Receiver(BaseHTTPRequestHandler):
    calls: list[tuple[dict[str, str], bytes]]
    arrived: threading.Event

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()
        type(self).arrived.set()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"calls": [], "arrived": threading.Event()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hooks/voicebus?token=abc", handler
    httpd.shutdown()
    httpd.server_close()


async def test_the_webhook_is_called_and_its_signature_verifies(
    http: httpx2.AsyncClient, receiver: tuple[str, type[_Receiver]]
) -> None:
    url, handler = receiver
    job = await submit(http, input=STORY[5], response_format="wav", webhook_url=url)
    assert (await finished(http, job["id"]))[-1][0] == "completed"
    assert await asyncio.to_thread(handler.arrived.wait, 30)
    ((headers, body),) = handler.calls
    assert headers["X-Voicebus-Event"] == "job.completed"
    payload = json.loads(body)
    assert payload["type"] == "job.completed" and payload["job"]["id"] == job["id"]
    assert payload["job"]["progress"] == {"done": 1, "total": 1}
    signature = headers[SIGNATURE_HEADER]
    assert verify(WEBHOOK_SECRET, signature, body)
    assert not verify("another-secret", signature, body)
    assert not verify(WEBHOOK_SECRET, signature, body.replace(b"completed", b"cancelled"))
    assert not verify(WEBHOOK_SECRET, signature, body, now=time.time() + 3600)  # a replay


async def _submit_with_webhook(running: RunningAdapter) -> httpx2.Response:
    async with running.http() as client:
        return await client.post(
            "/v1/audio/jobs",
            json={"model": "tts-1", "voice": "alloy", "input": "Hi there.",
                  "webhook_url": "http://127.0.0.1:9/hook"},
        )  # fmt: skip


async def test_a_webhook_needs_a_configured_secret(hub: HubClient) -> None:
    async with jobs_adapter(hub, job_settings(webhook_secret=None)) as running:
        answer = await _submit_with_webhook(running)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["param"] == "webhook_url" and "WEBHOOK_SECRET" in error["message"]


async def test_jobs_can_be_turned_off(hub: HubClient) -> None:
    async with jobs_adapter(hub, job_settings(enabled=False)) as running, running.http() as client:
        answer = await client.get("/v1/audio/jobs")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "jobs_disabled"


async def test_content_past_its_retention_is_gone(
    server: RunningAdapter, http: httpx2.AsyncClient, hub: HubClient
) -> None:
    job = await submit(http, input=STORY[7], response_format="pcm")
    assert (await finished(http, job["id"]))[-1][0] == "completed"
    names = (await _jobs(server).store()).names
    audio = await hub.nc.jetstream().object_store(names.audio)
    await audio.delete(sentence_name(job["id"], 0))  # what the bucket's TTL does
    answer = await http.get(f"/v1/audio/jobs/{job['id']}/content")
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "job_expired"
