"""``/v1/cache``: the audio cache's state, and clearing it (all of it or one voice's clips).

A voicebus extension for operators. The entries, bytes and evictions are the shared store's
(the same from every process on the bus); hits and misses are this adapter process's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from adapters.openai.auth import require_scope
from adapters.openai.context import Context
from adapters.openai.errors import ApiError
from hub.cache import AudioCache, CacheStats, CachingSource, cache_of
from hub.contract.errors import EngineUnavailableError

SCOPE = "admin"

router = APIRouter(prefix="/v1", tags=["audio cache"], dependencies=[Depends(require_scope(SCOPE))])


class Cleared(BaseModel):
    deleted: int


async def _cache(ctx: Context) -> tuple[CachingSource, AudioCache]:
    """The hub client's cache and its store; a clear answer when either is missing."""
    cache = cache_of(ctx.hub.sentence_source)
    if cache is None:
        raise ApiError(
            404, "The audio cache is off (VOICEBUS_CACHE_ENABLED=false).", code="cache_disabled"
        )
    store = await cache.store()
    if store is None:
        raise EngineUnavailableError(
            "the audio cache cannot reach JetStream", "check that nats-server runs with -js"
        )
    return cache, store


@router.get("/cache", summary="The audio cache: entries, bytes, budget, hits and misses")
async def cache_stats(ctx: Context) -> CacheStats:
    if cache_of(ctx.hub.sentence_source) is None:
        return CacheStats.disabled()  # a state, not an error: the web page hides its panel
    cache, store = await _cache(ctx)
    return CacheStats.of(await store.state(), cache.counters)


@router.delete("/cache", summary="Clear the audio cache (or one voice's clips)")
async def clear_cache(
    ctx: Context,
    voice: Annotated[str | None, Query(description="Only this voice's clips (or alias).")] = None,
) -> Cleared:
    _, store = await _cache(ctx)
    name = ctx.catalog.target(voice).voice if voice else None
    return Cleared(deleted=await store.clear(name))
