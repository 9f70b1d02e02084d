"""``voicebus models``: the weights each engine loads, pulled on demand, bundled for offline use.

A TARGET is an engine name (``xtts``: exactly the files its loader reads) or ``ENGINE:VOICE``
for one voice of an engine's voice collection (``piper:de_DE-thorsten-medium``). Engines
declare both through their settings (``weights_manifest``, ``voice_collection``), found via
the engine plug-ins; nothing here names an engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from hub import plugins
from hub.cli.common import one_line_errors
from hub.cli.model_targets import Target, list_rows, store_root
from hub.models import ModelStore
from hub.models.progress import human

DIR_HELP = "Model store (env VOICEBUS_MODELS_DIR) [the Hugging Face cache]."


@click.group()
def models() -> None:
    """Engine weights and voices: list, pull (with progress), remove, bundle for offline use.

    \b
      voicebus models list                       # what each engine needs and what is here
      voicebus models pull xtts                  # exactly the files the XTTS loader reads
      voicebus models pull piper:de_DE-thorsten-medium
      voicebus models available piper --language de
      voicebus models bundle xtts -o xtts.tar    # then on the offline machine:
      voicebus models import xtts.tar

    Downloads come from the Hugging Face Hub (HF_ENDPOINT to use a mirror; HF_TOKEN for
    gated repositories), resume after a cut and are checked against their checksums.
    """


@models.command("list")
@click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path), help=DIR_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def list_models(models_dir: Path | None, as_json: bool) -> None:
    """What each engine loads, whether it is here, its size and where."""
    rows = [row for name in plugins.engines() for row in list_rows(name, models_dir)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"model store: {store_root(models_dir)}")
    for row in rows:
        where = row["path"] or f"missing {', '.join(row['missing'])}: {row['pull']}"
        size = human(row["bytes"]) if row["bytes"] else ""
        click.echo(f"{row['target']:28} {row['repo']:34} {row['status']:8} {size:>9}  {where}")


@models.command("pull")
@click.argument("target")
@click.option("--revision", help="Branch, tag or commit [the engine's configured revision].")
@click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path), help=DIR_HELP)
@one_line_errors
def pull(target: str, revision: str | None, models_dir: Path | None) -> None:
    """Download TARGET (ENGINE, or ENGINE:VOICE) into the model store.

    Shows a bar per file and one in total; an interrupted pull resumes where it stopped
    when run again; every file is checked against its checksum before it is installed.
    """
    from hub.models.progress import BarProgress
    from hub.models.pull import pull_voice, pull_weights
    from hub.models.remote import HubFiles

    chosen = Target(target, models_dir)
    with HubFiles() as hub:
        if chosen.voice:
            collection = chosen.collection()
            assert collection is not None
            snapshot = pull_voice(
                collection, chosen.voice, chosen.store, hub, BarProgress(), revision
            )
            seconds = chosen.settings.voices_rescan_seconds
            note = f"; running {chosen.name} workers serve it within {seconds:g} s"
        else:
            snapshot = pull_weights(chosen.manifest(), chosen.store, hub, BarProgress(), revision)
            note = f"; start it with 'voicebus engine {chosen.name}'"
    click.echo(f"{target}: commit {snapshot.commit[:12]} in {snapshot.path}{note}")


@models.command("rm")
@click.argument("target")
@click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path), help=DIR_HELP)
@one_line_errors
def remove(target: str, models_dir: Path | None) -> None:
    """Delete TARGET's files from the model store (ENGINE, or ENGINE:VOICE)."""
    chosen = Target(target, models_dir)
    if chosen.voice:
        repo_id, paths, _ = chosen.voice_files()
    else:
        manifest = chosen.manifest()
        repo_id, paths = manifest.repo_id, list(manifest.files + manifest.optional)
        if not any(chosen.store.snapshots(repo_id)):
            click.echo(f"{target}: {manifest.repo_id} is not in {chosen.store.root}; nothing to do")
            return
    freed = chosen.store.remove(repo_id, tuple(paths))
    click.echo(f"{target}: removed from {chosen.store.root} ({human(freed)} freed)")


@models.command("bundle")
@click.argument("target")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The tar file to write.",
)
@click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path), help=DIR_HELP)
@one_line_errors
def bundle(target: str, output: Path, models_dir: Path | None) -> None:
    """Write TARGET's pulled files into one tar, for 'voicebus models import' elsewhere."""
    from hub.models.bundle import write_bundle

    chosen = Target(target, models_dir)
    if chosen.voice:
        _, paths, snapshot = chosen.voice_files()
        revision = snapshot.commit
    else:
        manifest = chosen.manifest()
        snapshot = chosen.store.snapshot(manifest.repo_id, manifest.revision, manifest.files)
        if snapshot is None:
            raise click.ClickException(
                f"{target}: {manifest.label} is not in {chosen.store.root}; "
                f"pull it first ('voicebus models pull {target}')"
            )
        names = manifest.files + manifest.optional
        paths = [name for name in names if (snapshot.path / name).is_file()]
        revision = manifest.revision
    size = write_bundle(chosen.store, snapshot, paths, revision, target, output)
    click.echo(f"{target}: {len(paths)} files, {human(size)} in {output}")


@models.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--models-dir", type=click.Path(file_okay=False, path_type=Path), help=DIR_HELP)
@one_line_errors
def import_(file: Path, models_dir: Path | None) -> None:
    """Install a bundle made by 'voicebus models bundle' (every file is checked first)."""
    from hub.models.bundle import import_bundle

    store = ModelStore(store_root(models_dir))
    label, snapshot = import_bundle(store, file)
    click.echo(f"{label}: commit {snapshot.commit[:12]} installed in {snapshot.path}")


@models.command("available")
@click.argument("engine")
@click.option("--language", help="Only voices of this language (de, de_DE, ...).")
@click.option("--revision", help="Branch, tag or commit of the collection.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def available(engine: str, language: str | None, revision: str | None, as_json: bool) -> None:
    """The voices of ENGINE's public collection (e.g. piper), to pull with ENGINE:VOICE."""
    from dataclasses import asdict

    from hub.models.manifest import languages_match
    from hub.models.pull import read_catalogue
    from hub.models.remote import HubFiles

    collection = Target(engine, None).collection()
    assert collection is not None
    with HubFiles() as hub:
        _, voices = read_catalogue(collection, hub, revision)
    if language:
        voices = [voice for voice in voices if languages_match(language, voice.language)]
    if as_json:
        click.echo(json.dumps([asdict(voice) for voice in voices], indent=2))
        return
    if not voices:
        click.echo(f"no {engine} voice for language {language!r}", err=True)
    for voice in voices:
        speakers = f"{voice.speakers} speakers" if voice.speakers > 1 else ""
        click.echo(
            f"{engine}:{voice.name:32} {voice.language:6} {voice.quality:7} "
            f"{human(voice.size_bytes):>9}  {voice.description} {speakers}".rstrip()
        )
