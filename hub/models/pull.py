"""Pull an engine's weights or one voice of a collection into the store.

Every file is described first (so a missing file or a gated repository fails before a byte
is downloaded), all at the one commit the revision points to now; then the files not in
the store yet are fetched and checked; only then are they linked into the snapshot and the
revision's ref written, so a failed pull never leaves a half-installed snapshot.
"""

from __future__ import annotations

from hub.models.download import fetch
from hub.models.errors import EntryNotFoundError
from hub.models.manifest import CatalogueVoice, VoiceCollection, WeightsManifest
from hub.models.progress import Progress, human
from hub.models.remote import HubFiles, RemoteFile
from hub.models.store import ModelStore, Snapshot


def pull_weights(
    manifest: WeightsManifest,
    store: ModelStore,
    hub: HubFiles,
    progress: Progress,
    revision: str | None = None,
) -> Snapshot:
    """Exactly the files ``manifest`` names, at ``revision`` (default: the manifest's)."""
    revision = revision or manifest.revision
    remotes = describe_all(hub, manifest.repo_id, revision, manifest.files, manifest.engine)
    commit = remotes[0].commit if remotes else revision
    for path in manifest.optional:
        try:
            remotes.append(hub.describe(manifest.repo_id, commit, path))
        except EntryNotFoundError:
            continue
    label = f"{manifest.engine} ({manifest.repo_id})"
    return install(hub, store, remotes, revision, progress, label)


def describe_all(
    hub: HubFiles, repo_id: str, revision: str, paths: tuple[str, ...], needed_by: str
) -> list[RemoteFile]:
    """Every one of ``paths``, the first at ``revision`` and the rest at its commit."""
    remotes: list[RemoteFile] = []
    for path in paths:
        at = remotes[0].commit if remotes else revision
        try:
            remotes.append(hub.describe(repo_id, at, path))
        except EntryNotFoundError:
            raise EntryNotFoundError(
                f"{repo_id}@{revision} has no file {path}, which {needed_by} needs; "
                "check the repository id and --revision"
            ) from None
    return remotes


def install(
    hub: HubFiles,
    store: ModelStore,
    remotes: list[RemoteFile],
    revision: str,
    progress: Progress,
    label: str,
) -> Snapshot:
    repo_id, commit = remotes[0].repo_id, remotes[0].commit
    missing = [r for r in remotes if not store.blob_path(r.repo_id, r.etag).is_file()]
    progress.begin(label, sum(r.size or 0 for r in missing))
    try:
        for remote in remotes:
            if remote in missing:
                fetch(hub, store, remote, progress)
                progress.file_done(remote.path, f"{human(remote.size)}, checksum verified")
            else:
                progress.file_done(remote.path, "already in the store")
    finally:
        progress.end()
    # longer names first: a config (x.onnx.json) is in place before the model it describes
    for remote in sorted(remotes, key=lambda r: r.path, reverse=True):
        store.install(repo_id, commit, remote.path, remote.etag)
    store.set_ref(repo_id, revision, commit)
    return Snapshot(repo_id, commit, store.repo_dir(repo_id) / "snapshots" / commit)


def read_catalogue(
    collection: VoiceCollection, hub: HubFiles, revision: str | None = None
) -> tuple[str, list[CatalogueVoice]]:
    """(commit, voices) of the collection's catalogue at ``revision``."""
    remote = hub.describe(collection.repo_id, revision or collection.revision, collection.catalogue)
    with hub.open(remote) as response:
        data = response.read()
    return remote.commit, collection.parse(data)


def pull_voice(
    collection: VoiceCollection,
    name: str,
    store: ModelStore,
    hub: HubFiles,
    progress: Progress,
    revision: str | None = None,
) -> Snapshot:
    """The files of voice ``name`` of the collection."""
    revision = revision or collection.revision
    commit, voices = read_catalogue(collection, hub, revision)
    voice = collection.find(voices, name)
    if voice is None:
        raise EntryNotFoundError(
            f"{collection.repo_id}@{revision} has no {collection.engine} voice {name!r}; "
            f"'voicebus models available {collection.engine}' lists them"
        )
    remotes = describe_all(hub, collection.repo_id, commit, voice.files, f"voice {voice.name}")
    return install(hub, store, remotes, revision, progress, f"{collection.engine}:{voice.name}")
