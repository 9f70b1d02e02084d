"""Offline bundles: one tar with a snapshot's files, for machines without internet.

A bundle holds ``voicebus-bundle.json`` (repository, revision, commit, and each file's path,
checksum and size) and the files as ``blobs/<checksum>``. Importing checks every file
against its checksum before anything is installed, then links it as a pull would.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from hub.models.download import verify
from hub.models.errors import ModelsError
from hub.models.remote import RemoteFile
from hub.models.store import ModelStore, Snapshot

INDEX = "voicebus-bundle.json"
FORMAT = 1


def write_bundle(
    store: ModelStore, snapshot: Snapshot, files: list[str], revision: str, label: str, output: Path
) -> int:
    """Write ``files`` of ``snapshot`` into the tar ``output``; returns its size in bytes."""
    entries = []
    for name in files:
        link = snapshot.path / name
        blob = link.resolve()
        entries.append({"path": name, "etag": blob.name, "size": blob.stat().st_size})
    index = {
        "format": FORMAT,
        "label": label,
        "repo_id": snapshot.repo_id,
        "revision": revision,
        "commit": snapshot.commit,
        "files": entries,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with tarfile.open(partial, "w") as tar:
        data = json.dumps(index, indent=2).encode()
        info = tarfile.TarInfo(INDEX)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for entry in entries:
            blob = store.blob_path(snapshot.repo_id, entry["etag"])
            tar.add(blob, arcname=f"blobs/{entry['etag']}", recursive=False)
    partial.replace(output)
    return output.stat().st_size


def import_bundle(store: ModelStore, bundle: Path) -> tuple[str, Snapshot]:
    """Check and install a bundle; returns (its label, the snapshot)."""
    store.root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root, prefix=".import-") as scratch:
        work = Path(scratch)
        try:
            with tarfile.open(bundle) as tar:
                tar.extractall(work, filter="data")
            index = json.loads((work / INDEX).read_text(encoding="utf-8"))
            repo_id, commit = index["repo_id"], index["commit"]
            entries = index["files"]
        except (tarfile.TarError, OSError, KeyError, ValueError) as error:
            raise ModelsError(f"{bundle} is not a voicebus models bundle ({error})") from None
        for entry in entries:
            remote = RemoteFile(repo_id, entry["path"], commit, entry["etag"], entry["size"], "")
            verify(work / "blobs" / entry["etag"], remote)
        for entry in entries:
            target = store.blob_path(repo_id, entry["etag"])
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.is_file():
                shutil.move(work / "blobs" / entry["etag"], target)
            store.install(repo_id, commit, entry["path"], entry["etag"])
        store.set_ref(repo_id, index["revision"], commit)
    snapshot = Snapshot(repo_id, commit, store.repo_dir(repo_id) / "snapshots" / commit)
    return str(index.get("label", repo_id)), snapshot
