"""Live control over HTTP: list calls, ``say`` into one, hang one up.

Guarded by the same API keys as the REST adapter (docs/keys.md), sent as
``Authorization: Bearer <key>``: a run-time key needs the ``calls`` scope (``admin`` has
it), is counted against its request limit, and ``say`` counts its text against the key's
character limit; the static ``api_keys`` of these settings are all-powerful. No key is
asked for while neither static nor run-time keys exist. Refusals: 401 (no key, unknown or
revoked), 403 (no ``calls`` scope), 429 with ``Retry-After`` (over a limit).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from adapters.twilio.call import Call
from adapters.twilio.context import TwilioContext
from hub.keys import (
    AccessError,
    AuthMode,
    Caller,
    Gatekeeper,
    InvalidKeyError,
    MissingKeyError,
    RateLimitedError,
    Scope,
    ScopeError,
)

router = APIRouter()


class SayRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    voice: str | None = None
    interrupt: bool = False
    barge_in: bool | None = None
    """Barge-in on or off for the call from this say on (None: as it was)."""


class ControlError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = headers or {}


def error_response(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    error: dict[str, str] = {"message": message} | ({"code": code} if code else {})
    return JSONResponse({"error": error}, status_code=status, headers=headers)


_CALLS = frozenset({Scope.CALLS})
_GATE = "twilio_keys"


def gatekeeper(app: FastAPI) -> Gatekeeper:
    """The app's key checker, made on first use (static keys plus the bus's keys)."""
    gate: Gatekeeper | None = getattr(app.state, _GATE, None)
    if gate is None:
        context: TwilioContext = app.state.twilio
        static = [key.get_secret_value() for key in context.settings.api_keys]
        gate = context.hub.gatekeeper(static, AuthMode.AUTO)
        setattr(app.state, _GATE, gate)
    return gate


async def close_gatekeeper(app: FastAPI) -> None:
    gate: Gatekeeper | None = getattr(app.state, _GATE, None)
    if gate is not None:
        await gate.close()


def _refusal(error: AccessError) -> ControlError:
    challenge = {"WWW-Authenticate": "Bearer"}
    if isinstance(error, MissingKeyError):
        message = "a valid API key is required (Authorization: Bearer <key>)"
        return ControlError(401, message, "missing_api_key", challenge)
    if isinstance(error, InvalidKeyError):
        return ControlError(401, f"{error}", "invalid_api_key", challenge)
    if isinstance(error, ScopeError):
        return ControlError(403, f"{error}", "insufficient_permissions")
    if isinstance(error, RateLimitedError):
        retry = {"Retry-After": str(error.retry_after)}
        return ControlError(429, f"{error}", "rate_limit_exceeded", retry)
    return ControlError(503, f"{error}", "keys_unavailable", {"Retry-After": "5"})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else ""
    return key or None


async def _context(request: Request) -> TwilioContext:
    context: TwilioContext = request.app.state.twilio
    try:
        caller = await gatekeeper(request.app).authenticate(_bearer(request))
        caller.require(_CALLS)
        await caller.count_request()
    except AccessError as error:
        raise _refusal(error) from None
    request.state.caller = caller
    return context


async def _charge(request: Request, text: str) -> None:
    caller: Caller = request.state.caller
    try:
        await caller.charge_characters(len(text))
    except AccessError as error:
        raise _refusal(error) from None


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
async def say(
    call_sid: str, body: SayRequest, context: Context, request: Request
) -> dict[str, Any]:
    call = _call(context, call_sid)
    await _charge(request, body.text)
    await call.say(body.text, body.voice, body.interrupt, body.barge_in)
    return {"ok": True, "call": call.describe()}


@router.post("/twilio/calls/{call_sid}/hangup")
async def hangup(call_sid: str, context: Context) -> dict[str, Any]:
    _call(context, call_sid).hangup()
    return {"ok": True}
