"""``/v1/audio/jobs``: durable long-form jobs (submit, status, progress events, content,
cancel, list) over :mod:`hub.jobs`; and the job runner this adapter process hosts.

A job answers at once (202) and is made sentence by sentence at the ``batch`` priority by
any runner on the bus, so it survives a crash of this process, or of NATS. The content is
made from the stored canonical PCM in the job's ``response_format`` when it is fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import StreamingResponse

from adapters.openai.auth import charge_characters, require_scope
from adapters.openai.context import Context
from adapters.openai.encoding import output_spec
from adapters.openai.errors import ApiError, from_voicebus
from adapters.openai.job_schemas import JobList, JobRequest, JobView
from hub.audio import content_type_for
from hub.client import HubClient
from hub.contract.errors import InvalidRequestError, TextTooLongError, VoiceNotFoundError
from hub.jobs import (
    JobFinishedError,
    JobNotFoundError,
    JobNotReadyError,
    JobRecord,
    JobRunner,
    Jobs,
    JobSettings,
    JobSpec,
    encoded_content,
)
from hub.jobs.service import SpeakerError, WebhookUrlError

SCOPE = "speak"

_LOGGER = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["jobs"], dependencies=[Depends(require_scope(SCOPE))])

_PARAMS: dict[type[Exception], str] = {WebhookUrlError: "webhook_url", SpeakerError: "voice"}
"""The request field each refusal names (others name ``input``)."""


@dataclass
class JobsState:
    jobs: Jobs
    settings: JobSettings


def _jobs(request: Request) -> Jobs:
    state: JobsState = request.app.state.voicebus_jobs
    if not state.settings.enabled:
        raise ApiError(404, "Jobs are turned off on this server.", code="jobs_disabled")
    return state.jobs


JobsDep = Annotated[Jobs, Depends(_jobs)]


def _view(record: JobRecord) -> JobView:
    return JobView.model_validate(record.public())


def _not_found(job_id: str) -> ApiError:
    return ApiError(404, f"No job with id '{job_id}'.", code="job_not_found", param="id")


async def _record(jobs: Jobs, job_id: str) -> JobRecord:
    try:
        return await jobs.get(job_id)
    except JobNotFoundError:
        raise _not_found(job_id) from None


@router.post("/audio/jobs", summary="Submit a speech job", status_code=202)
async def create_job(body: JobRequest, request: Request, ctx: Context, jobs: JobsDep) -> JobView:
    engine = ctx.catalog.engine_for(body.model)
    target = ctx.catalog.target(body.voice_name, body.speaker)
    await charge_characters(request, sum(len(text) for text in body.texts))
    spec = JobSpec(
        voice=target.voice,
        speaker=target.speaker,
        language=body.language,
        speed=body.speed,
        instructions=body.instructions,
        engine=engine,
        response_format=body.response_format,
        output_rate=ctx.settings.output_rate,
    )
    try:
        record = await jobs.submit(
            body.texts,
            spec,
            requested_voice=target.requested,
            model=body.model,
            webhook_url=body.webhook_url,
        )
    except VoiceNotFoundError:
        raise await ctx.catalog.voice_error(target, engine) from None
    except (InvalidRequestError, TextTooLongError) as error:
        answer = from_voicebus(error, ctx.settings.retry_after)
        answer.param = _PARAMS.get(type(error), "input")
        raise answer from None
    _LOGGER.info("job %s: %d sentence(s) queued", record.id, record.progress.total)
    return _view(record)


@router.get("/audio/jobs", summary="List jobs", response_model=JobList)
async def list_jobs(jobs: JobsDep) -> JobList:
    return JobList(data=[_view(record) for record in await jobs.list()])


@router.get("/audio/jobs/{job_id}", summary="A job's status and progress")
async def get_job(job_id: str, jobs: JobsDep) -> JobView:
    return _view(await _record(jobs, job_id))


@router.delete("/audio/jobs/{job_id}", summary="Cancel a job")
async def cancel_job(job_id: str, jobs: JobsDep) -> JobView:
    try:
        return _view(await jobs.cancel(job_id))
    except JobNotFoundError:
        raise _not_found(job_id) from None
    except JobFinishedError as error:
        raise ApiError(409, f"{error}.", code="job_finished", param="id") from None


@router.get("/audio/jobs/{job_id}/events", summary="Progress as server-sent events")
async def job_events(job_id: str, jobs: JobsDep) -> StreamingResponse:
    """``progress`` at once and after every sentence, then ``completed``, ``failed`` or
    ``cancelled``; each event's data is the job."""
    follow = jobs.follow(job_id)
    try:
        first = await anext(follow)
    except JobNotFoundError:
        raise _not_found(job_id) from None

    async def events() -> AsyncIterator[str]:
        try:
            record: JobRecord | None = first
            while record is not None:
                kind = record.status.value if record.status.finished else "progress"
                yield f"event: {kind}\ndata: {json.dumps(record.public())}\n\n"
                record = await anext(follow, None)
        finally:
            await follow.aclose()

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/audio/jobs/{job_id}/content",
    summary="The job's audio, in its response_format",
    response_class=Response,
    responses={200: {"description": "The audio file (streamed)."}},
)
async def job_content(job_id: str, ctx: Context, jobs: JobsDep) -> StreamingResponse:
    try:
        record = await jobs.content_record(job_id)
    except JobNotFoundError:
        raise _not_found(job_id) from None
    except JobNotReadyError as error:
        raise ApiError(409, f"{error}.", code="job_not_completed", param="id") from None
    fmt = record.spec.response_format
    spec = output_spec(fmt, record.spec.output_rate)
    store = await jobs.store()
    if not await store.has_sentence(job_id, 0):  # the oldest audio expires first
        raise ApiError(410, f"The audio of job {job_id} has expired.", code="job_expired")
    body = encoded_content(store, job_id, record.progress.total, spec, ctx.executor)
    headers = {"X-Voicebus-Sentences": str(record.progress.total), "Cache-Control": "no-store"}
    return StreamingResponse(body, media_type=content_type_for(spec.encoding), headers=headers)


# ---- the runner this process hosts ----------------------------------------------------


def install(app: FastAPI, hub: HubClient, settings: JobSettings) -> None:
    runs_jobs = settings.enabled and settings.runners > 0
    app.state.voicebus_jobs = JobsState(Jobs(hub, settings, runs_jobs=runs_jobs), settings)


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    """Run jobs while the app serves (when jobs are on and ``runners`` > 0)."""
    state: JobsState = app.state.voicebus_jobs
    if not state.settings.enabled or state.settings.runners == 0:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(_run_runner(state.jobs, stop))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)


async def _run_runner(jobs: Jobs, stop: asyncio.Event) -> None:
    """Open the job store (waiting for NATS and JetStream), then run jobs until stopped."""
    delay = 1.0
    while not stop.is_set():
        try:
            store = await jobs.store()
            runner = JobRunner(jobs.hub, store, jobs.settings)
            jobs.runner = runner
            await runner.run(stop)
            return
        except Exception as error:  # no JetStream yet, NATS away: try again (say it once)
            log = _LOGGER.warning if delay == 1.0 else _LOGGER.debug
            log("job runner not running (%s); trying again in %.0f s", error, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, 30.0)
