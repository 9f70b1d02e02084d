"""API keys on the REST routes: FastAPI dependencies ``require_scope("speak")`` and kin.

A route (or router) declares ``dependencies=[Depends(require_scope("voices"))]``; the
dependency reads the bearer key, asks the adapter's :class:`hub.keys.Gatekeeper` who it is
(401 when missing, unknown or revoked), checks the scope (403), then counts the request
against the key's request limit (429 with ``Retry-After``). Routes that take text call
:func:`charge_characters` once they know how much, before any synthesis starts.

``require_scope`` accepts several scopes meaning "any of them" (``admin`` passes
everywhere); the same arguments always give the same dependency object, so FastAPI solves
it once per request however many times a route and its router name it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.keys import Caller, Gatekeeper, Scope

_STATE = "voicebus_caller"

_BEARER = HTTPBearer(
    auto_error=False,  # the Gatekeeper decides (no key is fine while keys are off)
    description="An API key: a static one (api_keys) or one from 'voicebus keys create'.",
)
"""Declares the bearer scheme in the OpenAPI schema, so /docs offers "Authorize"."""

Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)]


def bearer_token(request: Request) -> str | None:
    """The key of ``Authorization: Bearer <key>``, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _gate(request: Request) -> Gatekeeper:
    gate: Gatekeeper = request.app.state.voicebus.gate
    return gate


async def current_caller(request: Request) -> Caller:
    """Who sent this request (authenticated once per request, then remembered)."""
    caller: Caller | None = getattr(request.state, _STATE, None)
    if caller is None:
        caller = await _gate(request).authenticate(bearer_token(request))
        setattr(request.state, _STATE, caller)
    return caller


@functools.cache
def require_scope(*scopes: str) -> Callable[[Request], Awaitable[Caller]]:
    """A dependency admitting callers holding any of ``scopes``; it returns the caller."""
    needed = frozenset(Scope(scope) for scope in scopes)
    if not needed:
        raise ValueError("require_scope needs at least one scope")

    async def dependency(request: Request, _credentials: Credentials = None) -> Caller:
        caller = await current_caller(request)
        caller.require(needed)
        await caller.count_request()
        return caller

    dependency.__name__ = f"require_scope_{'_or_'.join(sorted(needed))}"
    return dependency


async def require_provider_key(request: Request, _credentials: Credentials = None) -> None:
    """The /tts provider routes: ``speak``, unless ``provider_api_auth`` is off."""
    if request.app.state.voicebus.settings.provider_api_auth:
        await require_scope(Scope.SPEAK.value)(request)


async def charge_characters(request: Request, count: int) -> None:
    """Count ``count`` characters of text against the caller's character limit (429 over)."""
    caller: Caller | None = getattr(request.state, _STATE, None)
    if caller is not None:
        await caller.charge_characters(count)
