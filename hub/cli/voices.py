"""``voicebus voices``: every live voice, and the voice library's commands."""

from __future__ import annotations

import json

import click

from hub.cli.common import NATS_HELP, one_line_errors, run
from hub.cli.library import register


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--nats-url", help=NATS_HELP)
@click.pass_context
@one_line_errors
def voices(ctx: click.Context, as_json: bool, nats_url: str | None) -> None:
    """List every voice of every running engine; manage cloned voices (see commands)."""
    if ctx.invoked_subcommand is not None:
        return
    from hub.client.listing import list_voices, settings_for

    routes = run(list_voices(settings_for(nats_url)))
    if as_json:
        click.echo(
            json.dumps([{"engine": r.engine, **r.voice.model_dump()} for r in routes], indent=2)
        )
        return
    if not routes:
        click.echo("no voices: no engine is running (start one with 'voicebus up')", err=True)
    for route in routes:
        voice = route.voice
        extra = f"  speakers: {', '.join(voice.speakers)}" if voice.speakers else ""
        click.echo(
            f"{voice.name:32} {route.engine:10} {','.join(voice.languages):12} "
            f"{voice.sample_rate} Hz  {voice.description}{extra}"
        )


register(voices)
