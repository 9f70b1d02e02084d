"""``/v1/engines``: the engine workers on the bus, and load / unload / keep-warm / pause.

Not part of OpenAI's API: the REST face of ``voicebus engines`` (hub/cli/engines.py), for
the web page and for scripts. ``GET /v1/engines`` lists every live worker as discovery last
heard it; the ``POST`` routes send a control command to every worker of an engine and
answer with each worker's state after it acted. ``pause-gpu`` unloads every engine that
runs on a GPU ("gaming mode"; CPU engines keep serving) and ``resume-gpu`` loads them again.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from adapters.openai.auth import require_scope
from adapters.openai.context import AdapterContext, Context
from adapters.openai.errors import SERVER_ERROR, ApiError
from hub.client import ControlAnswer
from hub.contract.schemas import (
    ControlAction,
    ControlCommand,
    EngineAnnouncement,
    ErrorCode,
    StreamError,
)

SCOPE = "admin"

CONTROL_TIMEOUT = 120.0
"""Seconds a control command may take (loading a large model onto a GPU is slow)."""

router = APIRouter(prefix="/v1", tags=["engines"], dependencies=[Depends(require_scope(SCOPE))])


class WorkerLoad(BaseModel):
    in_flight: int = Field(description="Requests being synthesised now.")
    queued: int = Field(description="Requests waiting for a thread.")
    max_queue: int = Field(description="Queue length above which it refuses (0: no limit).")


class WorkerCounters(BaseModel):
    served: int
    failed: int
    cancelled: int


class WorkerCard(BaseModel):
    object: Literal["engine.worker"] = "engine.worker"
    engine: str
    instance: str
    host: str
    pid: int
    device: str
    model: str
    engine_version: str
    state: str = Field(description="warm, loading, unloaded or stopping.")
    paused: bool = Field(description="Unloaded by command: out of routing until loaded.")
    keep_warm: bool
    idle_unload_seconds: float
    memory_bytes: int
    voices: int
    clones: bool = Field(description="Whether it speaks cloned voices of the library.")
    load: WorkerLoad
    counters: WorkerCounters


class WorkerList(BaseModel):
    object: Literal["list"] = "list"
    data: list[WorkerCard]


class KeepWarm(BaseModel):
    on: bool = Field(description="true: never unload when idle; false: idle unloading again.")


class ControlResult(BaseModel):
    object: Literal["list"] = "list"
    engines: list[str] = Field(description="The engines the command went to.")
    data: list[WorkerCard] = Field(description="Each worker's state after the command.")


def worker_card(worker: EngineAnnouncement) -> WorkerCard:
    return WorkerCard(
        engine=worker.engine,
        instance=worker.instance,
        host=worker.host,
        pid=worker.pid,
        device=worker.device,
        model=worker.model,
        engine_version=worker.engine_version,
        state=worker.state.value,
        paused=not worker.loads_on_demand,
        keep_warm=worker.keep_warm,
        idle_unload_seconds=worker.idle_unload_seconds,
        memory_bytes=worker.memory_bytes,
        voices=len(worker.voices),
        clones=worker.capabilities.cloning,
        load=WorkerLoad(
            in_flight=worker.in_flight, queued=worker.queued, max_queue=worker.max_queue
        ),
        counters=WorkerCounters(
            served=worker.served, failed=worker.failed, cancelled=worker.cancelled
        ),
    )


def _sorted_cards(workers: list[EngineAnnouncement]) -> list[WorkerCard]:
    return [worker_card(w) for w in sorted(workers, key=lambda w: (w.engine, w.instance))]


@router.get("/engines", summary="List engine workers", response_model=WorkerList)
async def list_engines(ctx: Context) -> WorkerList:
    return WorkerList(data=_sorted_cards(ctx.hub.workers()))


async def _known_engine(ctx: AdapterContext, engine: str) -> str:
    """``engine`` if a worker of it is live (asking the bus once if not yet heard), else 404.

    Only names discovery knows reach a control subject, so no wildcard can be sent."""
    if engine not in ctx.hub.engines():
        await ctx.hub.refresh()
    running = ctx.hub.engines()
    if engine not in running:
        known = ", ".join(sorted(running)) or "none"
        raise ApiError(
            404,
            f"No engine named {engine!r} is running. Running engines: {known}.",
            code="engine_not_found",
            param="engine",
        )
    return engine


def _reason(failure: StreamError) -> str:
    """A worker's reason in words; an internal error's text stays in that worker's log."""
    if failure.code is ErrorCode.INTERNAL:
        return "a worker hit an internal error (its log says why)"
    return f"{failure.message} ({failure.code.value})"


async def _control(
    ctx: AdapterContext, engines: list[str], command: ControlCommand
) -> ControlResult:
    """Send ``command`` to each engine; every worker's answer, or one error naming all that
    failed."""
    answers: list[ControlAnswer] = []
    for engine in engines:
        answers += await ctx.hub.control(engine, command, CONTROL_TIMEOUT)
    failures = [a for a in answers if isinstance(a, StreamError)]
    if failures:
        reasons = "; ".join(_reason(f) for f in failures)
        raise ApiError(
            500, f"The command failed: {reasons}.", code="control_failed", type=SERVER_ERROR
        )
    workers = [a for a in answers if isinstance(a, EngineAnnouncement)]
    if engines and not workers:
        raise ApiError(
            504,
            f"No worker of {', '.join(engines)} answered within {CONTROL_TIMEOUT:.0f} s.",
            code="timeout",
            type=SERVER_ERROR,
        )
    return ControlResult(engines=engines, data=_sorted_cards(workers))


@router.post(
    "/engines/{engine}/load", summary="Load an engine's model", response_model=ControlResult
)
async def load_engine(ctx: Context, engine: str) -> ControlResult:
    name = await _known_engine(ctx, engine)
    return await _control(ctx, [name], ControlCommand(action=ControlAction.LOAD))


@router.post(
    "/engines/{engine}/unload",
    summary="Unload an engine's model (frees its memory; paused until loaded)",
    response_model=ControlResult,
)
async def unload_engine(ctx: Context, engine: str) -> ControlResult:
    name = await _known_engine(ctx, engine)
    return await _control(ctx, [name], ControlCommand(action=ControlAction.UNLOAD))


@router.post(
    "/engines/{engine}/keep-warm",
    summary="Turn idle unloading of an engine off (on: true) or on again",
    response_model=ControlResult,
)
async def keep_engine_warm(ctx: Context, engine: str, body: KeepWarm) -> ControlResult:
    name = await _known_engine(ctx, engine)
    command = ControlCommand(action=ControlAction.KEEP_WARM, keep_warm=body.on)
    return await _control(ctx, [name], command)


def _gpu_engines(ctx: AdapterContext) -> list[str]:
    return sorted({w.engine for w in ctx.hub.workers() if w.device != "cpu"})


@router.post(
    "/engines/pause-gpu",
    summary="Unload every engine on a GPU (gaming mode); CPU engines keep serving",
    response_model=ControlResult,
)
async def pause_gpu(ctx: Context) -> ControlResult:
    return await _control(ctx, _gpu_engines(ctx), ControlCommand(action=ControlAction.UNLOAD))


@router.post(
    "/engines/resume-gpu",
    summary="Load every engine on a GPU again",
    response_model=ControlResult,
)
async def resume_gpu(ctx: Context) -> ControlResult:
    return await _control(ctx, _gpu_engines(ctx), ControlCommand(action=ControlAction.LOAD))
