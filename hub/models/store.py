"""The model store on disk, in the Hugging Face cache layout.

``<root>/models--<org>--<name>/`` holds ``blobs/<etag>`` (file contents, named by their
checksum), ``snapshots/<commit>/<path>`` (relative symlinks to blobs) and ``refs/<revision>``
(the commit a branch or tag pointed to when it was pulled). huggingface_hub reads the same
layout, so engines loading "from the cache" and ``voicebus models`` agree.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Snapshot:
    """One repository at one commit, as present in the store."""

    repo_id: str
    commit: str
    path: Path


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def repo_dir(self, repo_id: str) -> Path:
        return self.root / ("models--" + repo_id.replace("/", "--"))

    def blob_path(self, repo_id: str, etag: str) -> Path:
        return self.repo_dir(repo_id) / "blobs" / etag

    def partial_path(self, repo_id: str, etag: str) -> Path:
        """Where a download in progress grows (resumed from here after a cut)."""
        return self.repo_dir(repo_id) / "blobs" / f"{etag}.incomplete"

    def lock_path(self, repo_id: str, etag: str) -> Path:
        locks = self.repo_dir(repo_id) / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        return locks / f"{etag}.lock"

    def commit_of(self, repo_id: str, revision: str) -> str | None:
        """The commit ``revision`` was pulled at, if any snapshot of it is here."""
        repo = self.repo_dir(repo_id)
        ref = repo / "refs" / revision
        if ref.is_file():
            return ref.read_text(encoding="utf-8").strip() or None
        if COMMIT.match(revision) and (repo / "snapshots" / revision).is_dir():
            return revision
        return None

    def snapshot(self, repo_id: str, revision: str, files: tuple[str, ...]) -> Snapshot | None:
        """The snapshot of ``revision`` if every one of ``files`` is in it."""
        commit = self.commit_of(repo_id, revision)
        if commit is None:
            return None
        path = self.repo_dir(repo_id) / "snapshots" / commit
        if all((path / name).is_file() for name in files):
            return Snapshot(repo_id, commit, path)
        return None

    def snapshots(self, repo_id: str) -> list[Snapshot]:
        """Every snapshot of the repository, newest first."""
        base = self.repo_dir(repo_id) / "snapshots"
        if not base.is_dir():
            return []
        found = [Snapshot(repo_id, path.name, path) for path in base.iterdir() if path.is_dir()]
        return sorted(found, key=lambda snap: snap.path.stat().st_mtime, reverse=True)

    def install(self, repo_id: str, commit: str, path: str, etag: str) -> Path:
        """Link ``snapshots/<commit>/<path>`` to the blob ``etag`` (which must be in place)."""
        link = self.repo_dir(repo_id) / "snapshots" / commit / path
        link.parent.mkdir(parents=True, exist_ok=True)
        target = os.path.relpath(self.blob_path(repo_id, etag), link.parent)
        fresh = link.with_name(f".{link.name}.{os.getpid()}.link")
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(target)
        fresh.replace(link)  # atomic: a reader sees the old link or the new one
        return link

    def set_ref(self, repo_id: str, revision: str, commit: str) -> None:
        if revision == commit:
            return
        ref = self.repo_dir(repo_id) / "refs" / revision
        ref.parent.mkdir(parents=True, exist_ok=True)
        ref.write_text(commit, encoding="utf-8")

    def remove(self, repo_id: str, paths: tuple[str, ...] | None = None) -> int:
        """Remove ``paths`` from every snapshot (all of the repository when None) and the
        blobs nothing links to any more; returns the bytes freed."""
        repo = self.repo_dir(repo_id)
        if not repo.is_dir():
            return 0
        if paths is None:
            freed = tree_bytes(repo)
            shutil.rmtree(repo)
            return freed
        for snap in self.snapshots(repo_id):
            for name in paths:
                (snap.path / name).unlink(missing_ok=True)
            _prune_empty(snap.path)
        return self._drop_unlinked_blobs(repo)

    def _drop_unlinked_blobs(self, repo: Path) -> int:
        linked = {
            (link.parent / os.readlink(link)).resolve().name
            for link in (repo / "snapshots").rglob("*")
            if link.is_symlink()
        }
        freed = 0
        for blob in (repo / "blobs").glob("*"):
            if blob.name not in linked:
                freed += blob.stat().st_size
                blob.unlink()
        if not any((repo / "snapshots").glob("*")):
            shutil.rmtree(repo)
        return freed


def files_bytes(snapshot: Snapshot, files: tuple[str, ...]) -> int:
    return sum((snapshot.path / name).stat().st_size for name in files)


def tree_bytes(path: Path) -> int:
    files = (item for item in path.rglob("*") if item.is_file() and not item.is_symlink())
    return sum(item.stat().st_size for item in files)


def _prune_empty(directory: Path) -> None:
    """Remove empty folders below and including ``directory``."""
    for sub in sorted(directory.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if sub.is_dir() and not sub.is_symlink() and not any(sub.iterdir()):
            sub.rmdir()
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
