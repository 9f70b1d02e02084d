"""``voicebus cache stats | clear [--voice V]``: the audio cache shared by the bus."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from hub.cli.common import NATS_HELP, nats_overrides, one_line_errors, run

T = TypeVar("T")


async def _with_cache(nats_url: str | None, action: Callable[[Any], Awaitable[T]]) -> T:
    from hub.bus import connect
    from hub.cache import AudioCache
    from hub.client import ClientSettings

    settings = ClientSettings(**nats_overrides(nats_url))
    nc = await connect(settings, "voicebus-cache")
    try:
        return await action(await AudioCache.open(nc, settings.cache))
    finally:
        await nc.drain()


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


@click.group()
def cache() -> None:
    """The audio cache: sentences already spoken, shared by every process on the bus.

    Its bucket, budget and TTL come from VOICEBUS_CACHE_* (or the config file's [cache]
    table); see docs/cache.md.
    """


@cache.command()
@click.option("--nats-url", help=NATS_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
@one_line_errors
def stats(nats_url: str | None, as_json: bool) -> None:
    """How many clips the cache holds, their size, its budget and evictions.

    Hits and misses are counted by each process that serves audio: see the REST
    adapter's GET /v1/cache or its /metrics.
    """

    async def read(store: Any) -> Any:
        return await store.state()

    state = run(_with_cache(nats_url, read))
    if as_json:
        click.echo(json.dumps(state.model_dump()))
        return
    used = state.bytes / state.budget_bytes if state.budget_bytes else 0.0
    click.echo(f"entries    {state.entries}")
    click.echo(f"bytes      {_size(state.bytes)} of {_size(state.budget_bytes)} ({used:.0%})")
    click.echo(f"ttl        {state.ttl_seconds / 86400:g} days")
    click.echo(f"evictions  {state.evictions} (budget or TTL)")


@cache.command()
@click.option("--voice", help="Only the clips of this voice (a name from 'voicebus voices').")
@click.option("--nats-url", help=NATS_HELP)
@one_line_errors
def clear(voice: str | None, nats_url: str | None) -> None:
    """Drop every cached clip (or one voice's); the next requests synthesize afresh."""

    async def drop(store: Any) -> int:
        return int(await store.clear(voice))

    deleted = run(_with_cache(nats_url, drop))
    click.echo(f"deleted {deleted} clip(s)" + (f" of voice {voice}" if voice else ""))
