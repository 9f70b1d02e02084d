"""``voicebus status``: every engine and adapter on the bus, and how each is."""

from __future__ import annotations

import asyncio
import json

import click

from hub.cli.common import NATS_HELP, nats_overrides, one_line_errors, run
from hub.contract.schemas import AdapterState, AdapterStatus, EngineAnnouncement


async def gather(nats_url: str | None) -> tuple[list[EngineAnnouncement], list[AdapterStatus]]:
    from hub.client import ClientSettings, HubClient

    settings = ClientSettings(**nats_overrides(nats_url))
    async with await HubClient.connect(settings, "voicebus-status") as hub:
        workers, adapters = await asyncio.gather(hub.refresh(), hub.adapters())
        return sorted(workers, key=lambda w: (w.engine, w.instance)), adapters


def describe(adapter: AdapterStatus) -> str:
    where = f"{adapter.host} pid {adapter.pid}"
    if adapter.state is AdapterState.FAILED:
        retry = f", retrying in {adapter.retry_in:.0f} s" if adapter.retry_in is not None else ""
        return f"{adapter.adapter:12} failed ({adapter.error}){retry}; {where}"
    restarts = f", {adapter.restarts} restart(s)" if adapter.restarts else ""
    return f"{adapter.adapter:12} {adapter.state.value}{restarts}; {where}"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--nats-url", help=NATS_HELP)
@one_line_errors
def status(as_json: bool, nats_url: str | None) -> None:
    """Engines and adapters on the bus; exit status 1 if an adapter is failing."""
    workers, adapters = run(gather(nats_url))
    if as_json:
        document = {
            "engines": [w.model_dump(mode="json") for w in workers],
            "adapters": [a.model_dump(mode="json") for a in adapters],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo("engines:" if workers else "engines: none running")
        for w in workers:
            click.echo(f"  {w.engine:12} {w.instance:22} {w.state.value:9} {w.device:5} {w.host}")
        click.echo("adapters:" if adapters else "adapters: none running")
        for adapter in adapters:
            click.echo("  " + describe(adapter))
    if any(adapter.state is AdapterState.FAILED for adapter in adapters):
        raise click.exceptions.Exit(1)
