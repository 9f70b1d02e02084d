"""``GET /health``: is the bus connected and is any engine alive? 200 if so, else 503.

It also lists every adapter on the bus with its state (running, failed and retrying, ...),
as their supervisors report it; another adapter failing does not make this one unhealthy.
Unauthenticated on purpose, for load balancers and container health checks; it names
engines, adapters and counts, nothing secret.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from adapters.openai.context import AdapterContext, Context
from hub.contract.schemas import AdapterStatus, EngineState

router = APIRouter(tags=["operations"])


class EngineHealth(BaseModel):
    name: str
    workers: int
    warm: int
    voices: int
    in_flight: int
    queued: int
    devices: list[str]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    bus_connected: bool
    engines: list[EngineHealth]
    voices: int
    adapters: list[AdapterStatus]


ADAPTER_STATUS_TIMEOUT = 0.5


async def health_report(ctx: AdapterContext) -> Health:
    engines = []
    for name, workers in sorted(ctx.hub.engines().items()):
        engines.append(
            EngineHealth(
                name=name,
                workers=len(workers),
                warm=sum(1 for w in workers if w.state is EngineState.WARM),
                voices=len({v.name for w in workers for v in w.voices}),
                in_flight=sum(w.in_flight for w in workers),
                queued=sum(w.queued for w in workers),
                devices=sorted({w.device for w in workers}),
            )
        )
    connected = ctx.hub.connected
    voices = len(ctx.hub.voices())
    alive = connected and any(engine.warm for engine in engines)
    adapters = await ctx.hub.adapters(timeout=ADAPTER_STATUS_TIMEOUT) if connected else []
    return Health(
        status="ok" if alive else "unavailable",
        bus_connected=connected,
        engines=engines,
        voices=voices,
        adapters=adapters,
    )


@router.get(
    "/health",
    summary="Bus and engine health",
    response_model=Health,
    responses={503: {"model": Health, "description": "No engine is alive, or no bus."}},
)
async def health(ctx: Context) -> JSONResponse:
    report = await health_report(ctx)
    status = 200 if report.status == "ok" else 503
    return JSONResponse(report.model_dump(mode="json"), status_code=status)
