"""``/v1/keys``: API keys over REST, for admins (the web page, scripts): list, create, revoke.

The same store as ``voicebus keys`` (hub/keys, docs/keys.md): a created key's secret is in
the 201 answer and nowhere else, ever; listing shows no secret or hash. Scope: ``admin``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from adapters.openai.auth import require_scope
from adapters.openai.context import Context
from adapters.openai.errors import ApiError
from hub.keys import KeyExistsError, KeyNotFoundError, RateSpec, RateSpecError, Scope

SCOPE = "admin"

router = APIRouter(prefix="/v1", tags=["api keys"], dependencies=[Depends(require_scope(SCOPE))])


class NewKey(BaseModel):
    name: str = Field(description="Unique: letters, digits, '.', '_', '-'.")
    scopes: list[Scope] = Field(min_length=1, description="speak, voices, calls, admin.")
    rate: str | None = Field(default=None, description="Request limit, e.g. 60/min.")
    chars: str | None = Field(default=None, description="Character limit, e.g. 20000/day.")


def _spec(text: str | None, param: str) -> RateSpec | None:
    if text is None:
        return None
    try:
        return RateSpec.parse(text)
    except RateSpecError as error:
        raise ApiError(400, str(error), code="invalid_value", param=param) from None


@router.get("/keys", summary="List API keys (never a secret)")
async def list_keys(ctx: Context) -> dict[str, Any]:
    records = await (await ctx.gate.store()).list()
    return {"object": "list", "data": [record.public() for record in records]}


@router.post(
    "/keys", summary="Create an API key (its secret is in this answer only)", status_code=201
)
async def create_key(body: NewKey, ctx: Context) -> dict[str, Any]:
    rate, chars = _spec(body.rate, "rate"), _spec(body.chars, "chars")
    store = await ctx.gate.store()
    try:
        record, token = await store.create(body.name, frozenset(body.scopes), rate, chars)
    except KeyExistsError as error:
        raise ApiError(409, str(error), code="key_exists", param="name") from None
    except ValueError as error:  # a bad name
        raise ApiError(400, str(error), code="invalid_value", param="name") from None
    return {**record.public(), "key": token}


@router.delete("/keys/{name_or_id}", summary="Revoke an API key (refused everywhere within 1 s)")
async def revoke_key(name_or_id: str, ctx: Context) -> dict[str, Any]:
    try:
        record = await (await ctx.gate.store()).revoke(name_or_id)
    except KeyNotFoundError as error:
        raise ApiError(404, str(error), code="not_found") from None
    return record.public()
