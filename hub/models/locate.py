"""Where an engine finds its weights at start-up, and what happens when they are not there.

A checkpoint directory given in the engine's settings wins; else the store's snapshot of the
manifest's revision. Without one the engine stops with one line naming the command that
pulls the weights, unless ``auto_pull`` is on: then it pulls them (progress in its log,
``loading`` on the bus) and goes on. Nothing is downloaded otherwise.
"""

from __future__ import annotations

import logging
from pathlib import Path

from hub.models.announce import while_announcing_loading
from hub.models.errors import WeightsMissingError
from hub.models.manifest import WeightsManifest
from hub.models.progress import LogProgress
from hub.models.pull import pull_weights
from hub.models.remote import HubFiles
from hub.models.settings import WeightsSettings
from hub.models.store import ModelStore, Snapshot
from hub.settings import NatsOptions

_LOGGER = logging.getLogger(__name__)


def pull_command(manifest: WeightsManifest) -> str:
    revision = "" if manifest.revision == "main" else f" --revision {manifest.revision}"
    return f"voicebus models pull {manifest.engine}{revision}"


def checkpoint_dir(given: Path, manifest: WeightsManifest) -> Path:
    """A checkpoint directory from the settings, checked for the files the loader reads."""
    missing = [name for name in manifest.files if not (given / name).is_file()]
    if missing:
        raise WeightsMissingError(
            f"{manifest.engine}: checkpoint directory {given} lacks {', '.join(missing)}"
        )
    return given


def locate(
    manifest: WeightsManifest,
    settings: WeightsSettings,
    given: Path | None,
    *,
    nats: NatsOptions | None = None,
    heartbeat_seconds: float = 2.0,
    announce_as: str | None = None,
) -> tuple[Path, str]:
    """(checkpoint directory, commit) of the engine's weights; the commit is '' for a
    directory given in the settings."""
    if given is not None:
        return checkpoint_dir(given, manifest), ""
    found = find_weights(
        manifest, settings, nats=nats, heartbeat_seconds=heartbeat_seconds, announce_as=announce_as
    )
    return found.path, found.commit


def find_weights(
    manifest: WeightsManifest,
    settings: WeightsSettings,
    *,
    nats: NatsOptions | None = None,
    heartbeat_seconds: float = 2.0,
    announce_as: str | None = None,
) -> Snapshot:
    """The store's snapshot of the manifest, pulled first if allowed and missing; while
    pulling, ``announce_as`` (the name served on the bus) is announced ``loading`` on ``nats``."""
    store = ModelStore(settings.store_root())
    found = store.snapshot(manifest.repo_id, manifest.revision, manifest.files)
    if found is not None:
        return found
    if not settings.auto_pull:
        raise WeightsMissingError(
            f"{manifest.engine}: no weights of {manifest.label} in {store.root}; fetch them "
            f"with '{pull_command(manifest)}' (or turn auto_pull on, or set "
            f"{manifest.setting} to a checkpoint directory)"
        )
    _LOGGER.info(
        "%s: %s not in %s; auto_pull is on, pulling", manifest.engine, manifest.label, store.root
    )

    def pull() -> Snapshot:
        with HubFiles() as hub:
            return pull_weights(manifest, store, hub, LogProgress())

    if nats is None:
        return pull()
    engine, model = announce_as or manifest.engine, manifest.repo_id
    return while_announcing_loading(nats, engine, model, heartbeat_seconds, pull)
