"""The ``voicebus`` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from hub.settings import CONFIG_ENV

T = TypeVar("T")

_NATS_HELP = "NATS server URL (env VOICEBUS_NATS_URL)."


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        sys.exit(130)


def _overrides(**values: Any) -> dict[str, Any]:
    """Only flags the user gave: unset flags leave env/config/defaults alone."""
    return {key: value for key, value in values.items() if value is not None and value != ()}


def _fail_on_voicebus_error(func: Callable[..., T]) -> Callable[..., T]:
    """Print typed hub errors as one clear line instead of a traceback."""
    import functools

    from hub.contract.errors import VoicebusError

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except (
            VoicebusError,
            ConnectionError,
            FileNotFoundError,
            ValueError,
            ImportError,
        ) as error:
            code = getattr(error, "code", None)
            prefix = f"error ({code}): " if code else "error: "
            raise click.ClickException(prefix + str(error)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"TOML config file (env {CONFIG_ENV}); flags and env override it.",
)
@click.option(
    "--log-level",
    default=lambda: os.environ.get("VOICEBUS_LOG_LEVEL", "INFO"),
    show_default="INFO",
    help="DEBUG, INFO, WARNING or ERROR.",
)
@click.version_option(package_name="voicebus")
def main(config: Path | None, log_level: str) -> None:
    """voicebus: a text-to-speech hub on the NATS bus.

    \b
    Quick start:
      voicebus up                      # NATS + Piper engine + OpenAI and Wyoming adapters
      voicebus say "Hello!" -o hi.wav  # in another terminal
      voicebus voices
    """
    if config is not None:
        os.environ[CONFIG_ENV] = str(config.resolve())
    logging.basicConfig(
        level=log_level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("nats").setLevel(logging.WARNING)


@main.command()
@click.option("--nats-url", help="Use this NATS instead of starting an embedded one.")
@click.option("--nats-port", type=int, help="Port of the embedded nats-server [4222].")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where JetStream keeps its data (env VOICEBUS_DATA_DIR).",
)
@click.option("--workers", type=int, help="Engine worker processes [auto from CPU count].")
@click.option("--threads", type=int, help="Inference threads per worker [cores / workers].")
@click.option("--engine", "engines", multiple=True, help="Engine to run (repeatable) [piper].")
@click.option(
    "--adapter", "adapters", multiple=True, help="Adapter to run (repeatable) [openai, wyoming]."
)
@click.option("--http-host", help="OpenAI REST adapter host [127.0.0.1].")
@click.option("--http-port", type=int, help="OpenAI REST adapter port [8000].")
@click.option("--wyoming-host", help="Wyoming adapter host [0.0.0.0].")
@click.option("--wyoming-port", type=int, help="Wyoming adapter port [10200].")
@click.option(
    "--wyoming-zeroconf",
    is_flag=True,
    default=None,
    help="Announce the Wyoming server on the LAN (_wyoming._tcp) for Home Assistant.",
)
@_fail_on_voicebus_error
def up(**flags: Any) -> None:
    """Run the whole hub on this machine (Ctrl-C stops everything)."""
    from hub.process.up import UpSettings, run_up

    adapter_options: dict[str, dict[str, Any]] = {
        "openai": _overrides(host=flags.pop("http_host"), port=flags.pop("http_port")),
        "wyoming": _overrides(
            host=flags.pop("wyoming_host"),
            port=flags.pop("wyoming_port"),
            zeroconf=flags.pop("wyoming_zeroconf"),
        ),
    }
    settings = UpSettings(**_overrides(**flags), adapter_options=adapter_options)
    _run(run_up(settings))


@main.command()
@click.argument("name")
@click.option("--nats-url", help=_NATS_HELP)
@click.option("--threads", type=int, help="Inference threads [all cores].")
@click.option("--concurrency", type=int, help="Requests synthesised at once by this worker [1].")
@click.option(
    "--voices-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Extra voices directory (Piper: *.onnx with .onnx.json).",
)
@_fail_on_voicebus_error
def engine(name: str, **flags: Any) -> None:
    """Run one worker of engine NAME (e.g. piper) against a NATS server."""
    from engines.registry import settings_class
    from hub.process.worker import serve_engine

    try:
        settings_cls = settings_class(name)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="NAME") from None
    fields = settings_cls.model_fields
    settings = settings_cls(**{k: v for k, v in _overrides(**flags).items() if k in fields})
    _run(serve_engine(name, settings))


@main.command()
@click.argument("name")
@click.option("--nats-url", help=_NATS_HELP)
@click.option("--host", help="Address to listen on.")
@click.option("--port", type=int, help="Port to listen on.")
@click.option("--zeroconf", is_flag=True, default=None, help="Wyoming: announce on the LAN.")
@_fail_on_voicebus_error
def adapter(
    name: str, nats_url: str | None, host: str | None, port: int | None, zeroconf: bool | None
) -> None:
    """Run one adapter (openai, wyoming, ...) against a NATS server."""
    from adapters import registry
    from hub.client import ClientSettings

    try:
        options = _overrides(nats_url=nats_url, host=host, port=port, zeroconf=zeroconf)
        settings = registry.settings_class(name)(**options)
    except KeyError as error:
        raise click.BadParameter(str(error.args[0]), param_hint="NAME") from None

    async def serve() -> None:
        import signal

        from hub.client import HubClient

        client_settings = ClientSettings(**_overrides(nats_url=nats_url))
        async with await HubClient.connect(client_settings, f"voicebus-{name}") as hub:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await registry.build(name, settings, hub).serve(stop)

    _run(serve())


@main.command()
@click.argument("text", required=False)
@click.option(
    "-f",
    "--file",
    "text_file",
    type=click.File("r", encoding="utf-8"),
    help="Read the text from a file ('-' for stdin).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("speech.wav"),
    show_default=True,
    help="Output file; the format comes from its extension (wav, mp3, opus, ogg, aac, flac, pcm).",
)
@click.option("-v", "--voice", help="Voice name (see 'voicebus voices') [default voice].")
@click.option("--speaker", help="Speaker of a multi-speaker voice.")
@click.option("--language", help="Pick the best voice for this language (e.g. en_US).")
@click.option("--speed", type=click.FloatRange(0.25, 4.0), default=1.0, show_default=True)
@click.option("--nats-url", help=_NATS_HELP)
@_fail_on_voicebus_error
def say(
    text: str | None, text_file: Any, output: Path, nats_url: str | None, **options: Any
) -> None:
    """Speak TEXT (or a file) into an audio file."""
    from hub.cli.say import say as run_say

    if text_file is not None:
        text = text_file.read()
    if not text:
        raise click.UsageError("give TEXT or --file")
    stats = _run(
        run_say(text, output, nats_url=nats_url, progress=text_file is not None, **options)
    )
    click.echo(f"wrote {output}: {stats}", err=True)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--nats-url", help=_NATS_HELP)
@click.pass_context
@_fail_on_voicebus_error
def voices(ctx: click.Context, as_json: bool, nats_url: str | None) -> None:
    """List every voice of every running engine; manage cloned voices (see commands)."""
    if ctx.invoked_subcommand is not None:
        return
    from hub.client.listing import list_voices, settings_for

    routes = _run(list_voices(settings_for(nats_url)))
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


def _attach_library_commands() -> None:
    from hub.cli.library import register

    register(voices)


_attach_library_commands()


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--nats-url", help=_NATS_HELP)
@click.pass_context
@_fail_on_voicebus_error
def engines(ctx: click.Context, as_json: bool, nats_url: str | None) -> None:
    """List running engines and their workers; manage their models (see commands)."""
    ctx.obj = {"nats_url": nats_url}
    if ctx.invoked_subcommand is not None:
        return
    from hub.client.listing import list_workers, settings_for

    workers = _run(list_workers(settings_for(nats_url)))
    if as_json:
        click.echo(json.dumps([w.model_dump(mode="json") for w in workers], indent=2))
        return
    if not workers:
        click.echo("no engine is running (start one with 'voicebus up')", err=True)
    for w in workers:
        warm = " keep-warm" if w.keep_warm else ""
        click.echo(
            f"{w.engine:10} {w.instance:20} {w.state.value:9}{warm} {w.device:5} "
            f"voices={len(w.voices)} in_flight={w.in_flight} queued={w.queued} "
            f"served={w.served} failed={w.failed} host={w.host} pid={w.pid}"
        )


def _control(nats_url: str | None, names: list[str], action: str, **extra: Any) -> None:
    from hub.client.listing import control, settings_for
    from hub.contract.schemas import ControlCommand, StreamError

    command = ControlCommand(action=action, **extra)  # type: ignore[arg-type]
    failed = False
    for name in names:
        for answer in _run(control(settings_for(nats_url), name, command)):
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
@_fail_on_voicebus_error
def engines_load(obj: dict[str, Any], names: tuple[str, ...]) -> None:
    """Load (warm up) the model of every worker of each engine NAME."""
    _control(obj["nats_url"], list(names), "load")


@engines.command("unload")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
@_fail_on_voicebus_error
def engines_unload(obj: dict[str, Any], names: tuple[str, ...]) -> None:
    """Free the model (and GPU memory) of every worker of each engine NAME."""
    _control(obj["nats_url"], list(names), "unload")


@engines.command("keep-warm")
@click.argument("name")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_obj
@_fail_on_voicebus_error
def engines_keep_warm(obj: dict[str, Any], name: str, state: str) -> None:
    """Turn idle unloading of engine NAME off (on) or back on (off)."""
    _control(obj["nats_url"], [name], "keep_warm", keep_warm=state == "on")


@engines.command("pause")
@click.pass_obj
@_fail_on_voicebus_error
def engines_pause(obj: dict[str, Any]) -> None:
    """Unload every engine running on a GPU ("gaming mode"); CPU engines keep serving."""
    from hub.client.listing import engines_on, settings_for

    names = _run(engines_on(settings_for(obj["nats_url"]), gpu_only=True))
    if not names:
        click.echo("no engine runs on a GPU; nothing to pause")
        return
    _control(obj["nats_url"], names, "unload")


@engines.command("resume")
@click.pass_obj
@_fail_on_voicebus_error
def engines_resume(obj: dict[str, Any]) -> None:
    """Load every GPU engine again after 'pause'."""
    from hub.client.listing import engines_on, settings_for

    names = _run(engines_on(settings_for(obj["nats_url"]), gpu_only=True))
    if not names:
        click.echo("no engine runs on a GPU; nothing to resume")
        return
    _control(obj["nats_url"], names, "load")
