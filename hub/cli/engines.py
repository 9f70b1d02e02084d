"""``voicebus engines``: the workers on the bus, and load / unload / keep-warm / pause."""

from __future__ import annotations

import json
from typing import Any

import click

from hub.cli.common import NATS_HELP, one_line_errors, run


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--nats-url", help=NATS_HELP)
@click.pass_context
@one_line_errors
def engines(ctx: click.Context, as_json: bool, nats_url: str | None) -> None:
    """List running engines and their workers; manage their models (see commands)."""
    ctx.obj = {"nats_url": nats_url}
    if ctx.invoked_subcommand is not None:
        return
    from hub.client.listing import list_workers, settings_for

    workers = run(list_workers(settings_for(nats_url)))
    if as_json:
        click.echo(json.dumps([w.model_dump(mode="json") for w in workers], indent=2))
        return
    if not workers:
        click.echo("no engine is running (start one with 'voicebus up')", err=True)
    for w in workers:
        warm = " keep-warm" if w.keep_warm else ""
        model = f" model={w.model}" if w.model else ""
        revision = f"@{w.revision[:12]}" if w.revision else ""
        click.echo(
            f"{w.engine:10} {w.instance:20} {w.state.value:9}{warm} {w.device:5}{model}{revision} "
            f"voices={len(w.voices)} in_flight={w.in_flight} queued={w.queued} "
            f"served={w.served} failed={w.failed} host={w.host} pid={w.pid}"
        )


def _control(nats_url: str | None, names: list[str], action: str, **extra: Any) -> None:
    from hub.client.listing import control_engines, settings_for
    from hub.contract.schemas import ControlCommand, StreamError

    command = ControlCommand(action=action, **extra)  # type: ignore[arg-type]
    failed = False
    answers = run(control_engines(settings_for(nats_url), names, command))
    for name in names:
        for answer in answers[name]:
            if isinstance(answer, StreamError):
                failed = True
                click.echo(f"{name}: error ({answer.code}): {answer.message}", err=True)
            else:
                click.echo(f"{name}: {answer.instance} is {answer.state.value}")
    if failed:
        raise click.exceptions.Exit(1)


@engines.command("load")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
@one_line_errors
def engines_load(obj: dict[str, Any], names: tuple[str, ...]) -> None:
    """Load (warm up) the model of every worker of each engine NAME."""
    _control(obj["nats_url"], list(names), "load")


@engines.command("unload")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
@one_line_errors
def engines_unload(obj: dict[str, Any], names: tuple[str, ...]) -> None:
    """Free the model (and GPU memory) of every worker of each engine NAME."""
    _control(obj["nats_url"], list(names), "unload")


@engines.command("keep-warm")
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_obj
@one_line_errors
def engines_keep_warm(obj: dict[str, Any], name: str, state: str) -> None:
    """Turn idle unloading of engine NAME off (on) or back on (off)."""
    _control(obj["nats_url"], [name], "keep_warm", keep_warm=state == "on")


@engines.command("pause")
@click.pass_obj
@one_line_errors
def engines_pause(obj: dict[str, Any]) -> None:
    """Unload every engine running on a GPU ("gaming mode"); CPU engines keep serving."""
    from hub.client.listing import engines_on, settings_for

    names = run(engines_on(settings_for(obj["nats_url"]), gpu_only=True))
    if not names:
        click.echo("no engine runs on a GPU; nothing to pause")
        return
    _control(obj["nats_url"], names, "unload")


@engines.command("resume")
@click.pass_obj
@one_line_errors
def engines_resume(obj: dict[str, Any]) -> None:
    """Load every GPU engine again after 'pause'."""
    from hub.client.listing import engines_on, settings_for

    names = run(engines_on(settings_for(obj["nats_url"]), gpu_only=True))
    if not names:
        click.echo("no engine runs on a GPU; nothing to resume")
        return
    _control(obj["nats_url"], names, "load")
