"""What ``voicebus models`` acts on: a TARGET (an engine, or ``ENGINE:VOICE``) with the
settings the engine would run with, and the rows of ``voicebus models list``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hub import plugins
from hub.models import ModelStore, VoiceCollection, WeightsManifest
from hub.models.settings import ModelsSettings


def store_root(models_dir: Path | None) -> Path:
    """``--models-dir``, else ``VOICEBUS_MODELS_DIR`` or the config file, else the HF cache."""
    return ModelsSettings(**({"models_dir": models_dir} if models_dir else {})).store_root()


class Target:
    """An engine (and maybe one of its voices) with the settings it would run with."""

    def __init__(self, spec: str, models_dir: Path | None) -> None:
        engine, _, self.voice = spec.partition(":")
        self.plugin = plugins.engine(engine)
        overrides = {"models_dir": models_dir} if models_dir else {}
        self.settings: Any = self.plugin.settings_class()(**overrides)
        root = getattr(self.settings, "store_root", None)
        self.store = ModelStore(root() if root else store_root(models_dir))

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


def list_rows(engine: str, models_dir: Path | None) -> list[dict[str, Any]]:
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
