"""``voicebus voices add|rename|delete|clones``: the voice library from the command line.

``register(group)`` adds these commands to a click group (the CLI's ``voices`` group).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hub.cli.common import NATS_HELP, one_line_errors
from hub.store.library import ClonedVoiceMeta, LibrarySettings, VoiceLibrary

T = TypeVar("T")


def _settings(nats_url: str | None) -> LibrarySettings:
    return LibrarySettings(**({"nats_url": nats_url} if nats_url else {}))


def _with_library(nats_url: str | None, action: Callable[[VoiceLibrary], Awaitable[T]]) -> T:
    """Connect, open the library, run ``action`` (each command's ``one_line_errors`` turns
    typed errors into one clear line)."""
    from hub.bus import connect

    async def run() -> T:
        settings = _settings(nats_url)
        nc = await connect(settings, "voicebus-voices")
        try:
            library = await VoiceLibrary.open(nc, settings.voice_bucket)
            return await action(library)
        finally:
            await nc.drain()

    return asyncio.run(run())


def _nats_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--nats-url", help=NATS_HELP)(func)


def _describe(meta: ClonedVoiceMeta) -> str:
    extra = f"  {meta.language}" if meta.language else ""
    transcript = f"  \u201c{meta.transcript[:60]}\u201d" if meta.transcript else ""
    return f"{meta.name:32} {meta.duration_seconds:5.1f} s{extra}{transcript}"


@click.command("add")
@one_line_errors
@click.argument("name")
@click.argument("clip", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--transcript", help="What is said in the clip (helps some engines).")
@click.option("--language", help="Language of the clip, e.g. en or en-US.")
@_nats_option
def add_command(
    name: str, clip: Path, transcript: str | None, language: str | None, nats_url: str | None
) -> None:
    """Add a cloned voice NAME from a reference CLIP (3 to 30 s of one speaker)."""
    data = clip.read_bytes()
    meta = _with_library(nats_url, lambda lib: lib.add(name, data, transcript, language))
    click.echo(f"added {_describe(meta)}")


@click.command("rename")
@one_line_errors
@click.argument("old")
@click.argument("new")
@_nats_option
def rename_command(old: str, new: str, nats_url: str | None) -> None:
    """Rename cloned voice OLD to NEW."""
    _with_library(nats_url, lambda lib: lib.rename(old, new))
    click.echo(f"renamed {old} to {new}")


@click.command("delete")
@one_line_errors
@click.argument("name")
@_nats_option
def delete_command(name: str, nats_url: str | None) -> None:
    """Delete cloned voice NAME and its clip."""
    _with_library(nats_url, lambda lib: lib.delete(name))
    click.echo(f"deleted {name}")


@click.command("clones")
@one_line_errors
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_nats_option
def clones_command(as_json: bool, nats_url: str | None) -> None:
    """List the cloned voices in the voice library."""
    voices = _with_library(nats_url, lambda lib: lib.list())
    if as_json:
        click.echo(json.dumps([meta.model_dump() for meta in voices], indent=2))
        return
    if not voices:
        click.echo("no cloned voices yet (add one with 'voicebus voices add NAME clip.wav')")
    for meta in voices:
        click.echo(_describe(meta))


COMMANDS: tuple[click.Command, ...] = (add_command, rename_command, delete_command, clones_command)


def register(group: click.Group) -> click.Group:
    """Attach the library commands to ``group`` (the CLI's ``voices`` group)."""
    for command in COMMANDS:
        group.add_command(command)
    return group
