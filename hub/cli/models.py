"""``voicebus models``: the weights each engine loads, pulled on demand, bundled for offline use.

A TARGET is an engine name (``xtts``: exactly the files its loader reads) or ``ENGINE:VOICE``
for one voice of an engine's voice collection (``piper:de_DE-thorsten-medium``). Engines
declare both through their settings (``weights_manifest``, ``voice_collection``), found via
the engine plug-ins; nothing here names an engine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from hub import plugins
from hub.cli.common import one_line_errors
from hub.models import ModelStore, VoiceCollection, WeightsManifest
from hub.models.progress import human
from hub.models.settings import ModelsSettings

DIR_HELP = "Model store (env VOICEBUS_MODELS_DIR) [the Hugging Face cache]."


class Target:
    """An engine (and maybe one of its voices) with the settings it would run with."""

    def __init__(self, spec: str, models_dir: Path | None) -> None:
        engine, _, self.voice = spec.partition(":")
        self.plugin = plugins.engine(engine)
        overrides = {"models_dir": models_dir} if models_dir else {}
        self.settings: Any = self.plugin.settings_class()(**overrides)
        root = getattr(self.settings, "store_root", None)
        self.store = ModelStore(root() if root else _store_root(models_dir))

    @property
    def name(self) -> str:
        return self.plugin.name

    def manifest(self) -> WeightsManifest:
        weights = getattr(self.settings, "weights_manifest", None)
        if weights is None:
            extra = ""
            if self.collection(required=False) is not None:
                extra = (
                    f"; pull one of its voices with 'voicebus models pull {self.name}:VOICE' "
                    f"('voicebus models available {self.name}' lists them)"
                )
            raise click.UsageError(f"engine {self.name} has no weights to pull{extra}")
        manifest: WeightsManifest = weights(self.name)
        return manifest

    def collection(self, required: bool = True) -> VoiceCollection | None:
        collection = getattr(self.settings, "voice_collection", None)
        if collection is None and required:
            raise click.UsageError(f"engine {self.name} has no voice collection")
        return collection() if collection is not None else None

    def given_dir(self, manifest: WeightsManifest) -> Path | None:
        given: Path | None = getattr(self.settings, manifest.setting, None)
        return given

    def voice_files(self) -> tuple[str, list[str], Any]:
        """(repo id, paths, snapshot) of the pulled voice, from the store alone."""
        collection = self.collection()
        assert collection is not None
        for snapshot in self.store.snapshots(collection.repo_id):
            found = sorted(
                str(path.relative_to(snapshot.path))
                for path in snapshot.path.rglob(f"{self.voice}.onnx*")
            )
            if found:
                return collection.repo_id, found, snapshot
        raise click.ClickException(f"{self.name} voice {self.voice} is not in {self.store.root}")


def _store_root(models_dir: Path | None) -> Path:
    return ModelsSettings(**({"models_dir": models_dir} if models_dir else {})).store_root()


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
    rows = [row for name in plugins.engines() for row in _rows(name, models_dir)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"model store: {_store_root(models_dir)}")
    for row in rows:
        where = row["path"] or f"missing {', '.join(row['missing'])}: {row['pull']}"
        size = human(row["bytes"]) if row["bytes"] else ""
        click.echo(f"{row['target']:28} {row['repo']:34} {row['status']:8} {size:>9}  {where}")


def _rows(engine: str, models_dir: Path | None) -> list[dict[str, Any]]:
    try:
        target = Target(engine, models_dir)
    except plugins.PluginLoadError:
        return []
    rows = []
    if getattr(target.settings, "weights_manifest", None) is not None:
        rows.append(_engine_row(target, target.manifest()))
    collection = target.collection(required=False)
    if collection is not None:
        for snapshot in target.store.snapshots(collection.repo_id):
            for model in sorted(snapshot.path.rglob("*.onnx")):
                size = sum(p.stat().st_size for p in model.parent.glob(model.name + "*"))
                voice = model.name.removesuffix(".onnx")
                rows.append(
                    _row(
                        f"{engine}:{voice}",
                        collection.repo_id,
                        "present",
                        size,
                        str(model.parent),
                        snapshot.commit,
                    )
                )
    return rows


def _engine_row(target: Target, manifest: WeightsManifest) -> dict[str, Any]:
    from hub.models.locate import pull_command
    from hub.models.store import files_bytes

    given = target.given_dir(manifest)
    if given is not None:
        missing = [f for f in manifest.files if not (given / f).is_file()]
        row = _row(
            target.name,
            f"{manifest.setting}",
            "local" if not missing else "missing",
            0,
            "" if missing else str(given),
            "",
        )
        return {**row, "missing": missing}
    snapshot = target.store.snapshot(manifest.repo_id, manifest.revision, manifest.files)
    if snapshot is None:
        row = _row(target.name, manifest.label, "missing", 0, "", "")
        return {**row, "missing": list(manifest.files), "pull": pull_command(manifest)}
    present = [f for f in manifest.files + manifest.optional if (snapshot.path / f).is_file()]
    size = files_bytes(snapshot, tuple(present))
    return _row(target.name, manifest.label, "present", size, str(snapshot.path), snapshot.commit)


def _row(target: str, repo: str, status: str, size: int, path: str, commit: str) -> dict[str, Any]:
    return {
        "target": target,
        "repo": repo,
        "status": status,
        "bytes": size,
        "path": path,
        "commit": commit,
        "missing": [],
        "pull": "",
    }


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

    store = ModelStore(_store_root(models_dir))
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
