"""Live control over HTTP: list calls, ``say`` into one, hang one up.

Honours ``api_keys`` (``Authorization: Bearer <key>``) when keys are configured.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from adapters.twilio.call import Call
from adapters.twilio.context import TwilioContext

router = APIRouter()


class SayRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    voice: str | None = None
    interrupt: bool = False


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message}}, status_code=status)


def _context(request: Request) -> TwilioContext:
    context: TwilioContext = request.app.state.twilio
    header = request.headers.get("authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if context.settings.api_keys and not context.settings.accepts_key(key):
        raise ControlError(401, "a valid API key is required (Authorization: Bearer <key>)")
    return context


def _call(context: TwilioContext, call_sid: str) -> Call:
    call = context.calls.get(call_sid)
    if call is None:
        raise ControlError(404, f"no live call {call_sid}")
    return call


Context = Annotated[TwilioContext, Depends(_context)]


@router.get("/twilio/calls")
async def list_calls(context: Context) -> dict[str, Any]:
    return {"calls": [call.describe() for call in context.calls.values()]}


@router.post("/twilio/calls/{call_sid}/say")
async def say(call_sid: str, body: SayRequest, context: Context) -> dict[str, Any]:
    call = _call(context, call_sid)
    await call.say(body.text, body.voice, body.interrupt)
    return {"ok": True, "call": call.describe()}


@router.post("/twilio/calls/{call_sid}/hangup")
async def hangup(call_sid: str, context: Context) -> dict[str, Any]:
    _call(context, call_sid).hangup()
    return {"ok": True}
