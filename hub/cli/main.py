"""The ``voicebus`` command group, ``up`` and ``say``; the other commands live beside it."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click

from hub import plugins
from hub.cli.cache import cache
from hub.cli.common import NATS_HELP, one_line_errors, run
from hub.cli.engines import engines
from hub.cli.jobs import jobs
from hub.cli.keys import keys
from hub.cli.models import models
from hub.cli.options import SET_HELP, given, parse_assignments
from hub.cli.plugin_commands import adapter, engine
from hub.cli.status import status
from hub.cli.voices import voices
from hub.settings import CONFIG_ENV


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
@click.option("--debug", is_flag=True, help="Log at DEBUG level, with tracebacks of failures.")
@click.version_option(package_name="voicebus")
def main(config: Path | None, log_level: str, debug: bool) -> None:
    """voicebus: a text-to-speech hub on the NATS bus.

    \b
    Quick start:
      voicebus up                      # NATS + Piper engine + OpenAI and Wyoming adapters
      voicebus say "Hello!" -o hi.wav  # in another terminal
      voicebus voices
      voicebus status                  # engines and adapters, and how they are
    """
    if config is not None:
        os.environ[CONFIG_ENV] = str(config.resolve())
    logging.basicConfig(
        level="DEBUG" if debug else log_level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("nats").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # a line per request otherwise


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
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="ADAPTER.KEY=VALUE",
    help=f"An adapter's setting, e.g. openai.port=8001 or wyoming.zeroconf=true. {SET_HELP} "
    "'voicebus adapter NAME --help' lists an adapter's keys.",
)
@one_line_errors
def up(assignments: tuple[str, ...], **flags: Any) -> None:
    """Run the whole hub on this machine (Ctrl-C stops everything).

    Adapters run side by side, each supervised: one that fails is retried with backoff
    while the others keep serving ('voicebus status' shows how each is).
    """
    from hub.process.up import UpSettings, run_up

    settings = UpSettings(**given(flags), adapter_options=parse_assignments(assignments))
    run(run_up(settings))


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
@click.option(
    "--no-cache",
    "cache",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Synthesize every sentence afresh (no audio cache read or write).",
)
@click.option("--nats-url", help=NATS_HELP)
@click.option(
    "--job", is_flag=True, help="Submit as a durable job and follow it (see 'voicebus jobs')."
)
@one_line_errors
def say(
    text: str | None, text_file: Any, output: Path, nats_url: str | None, **options: Any
) -> None:
    """Speak TEXT (or a file) into an audio file."""
    from hub.cli.say import say as run_say

    if job := options.pop("job"):
        from hub.cli.say_job import say_job as run_say
    if text_file is not None:
        text = text_file.read()
    if not text:
        raise click.UsageError("give TEXT or --file")
    progress = text_file is not None or job
    stats = run(run_say(text, output, nats_url=nats_url, progress=progress, **options))
    click.echo(f"wrote {output}: {stats}", err=True)


for command in (adapter, engine, voices, engines, status, jobs, keys, models, cache):
    main.add_command(command)
for name, command in plugins.commands().items():  # e.g. an adapter's own command
    main.add_command(command, name)
