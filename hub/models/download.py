"""Fetch one file into the store: resumed after a cut, checked, then installed.

Bytes grow in ``blobs/<etag>.incomplete``; a cut connection resumes from where it stopped
(``Range``), here or in the next pull. A finished file must have the size the Hub gave and
its checksum (sha256 for LFS files, the git blob id for the others) before it becomes
``blobs/<etag>``; a file that fails the check is deleted, never installed.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2

from hub.models.errors import ChecksumMismatchError, HubUnreachableError
from hub.models.progress import Progress, human
from hub.models.remote import HubFiles, RemoteFile
from hub.models.store import ModelStore

_LOGGER = logging.getLogger(__name__)

ATTEMPTS = 5
CHUNK_BYTES = 1 << 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")
GIT_OID = re.compile(r"^[0-9a-f]{40}$")


def fetch(hub: HubFiles, store: ModelStore, remote: RemoteFile, progress: Progress) -> Path:
    """The blob of ``remote`` in the store, downloaded (or resumed) and verified.

    One process at a time per file (a lock next to it): two workers pulling at start-up
    share one download instead of writing the same partial file."""
    blob = store.blob_path(remote.repo_id, remote.etag)
    partial = store.partial_path(remote.repo_id, remote.etag)
    partial.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(store.lock_path(remote.repo_id, remote.etag)):
        if not blob.is_file():
            _fetch_unlocked(hub, remote, partial, progress)
            verify(partial, remote)
            partial.rename(blob)
    return blob


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _fetch_unlocked(hub: HubFiles, remote: RemoteFile, partial: Path, progress: Progress) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _download(hub, remote, partial, progress)
        except (httpx2.TransportError, httpx2.StreamError) as error:
            have = partial.stat().st_size if partial.exists() else 0
            _LOGGER.warning(
                "%s: connection lost at %s (%s); resuming (%d of %d)",
                remote.path,
                human(have),
                type(error).__name__,
                attempt,
                ATTEMPTS,
            )
            continue
        if remote.size is None or partial.stat().st_size >= remote.size:
            break
    else:
        raise HubUnreachableError(
            f"downloading {remote.path} was cut {ATTEMPTS} times; run the pull again to resume"
        )


def _download(hub: HubFiles, remote: RemoteFile, partial: Path, progress: Progress) -> None:
    done = partial.stat().st_size if partial.exists() else 0
    if remote.size is not None and done > remote.size:
        partial.unlink()
        done = 0
    with hub.open(remote, done) as response:
        if response.status_code == 416:  # nothing left to send: the partial file is whole
            progress.file(remote.path, remote.size, done)
            return
        if response.status_code == 200:
            done = 0  # the server ignored Range: start over
        progress.file(remote.path, remote.size, done)
        with partial.open("ab" if done else "wb") as out:
            for chunk in response.iter_raw(CHUNK_BYTES):
                out.write(chunk)
                progress.advance(len(chunk))


def verify(path: Path, remote: RemoteFile) -> None:
    """Size and checksum as the Hub described them; a mismatch deletes ``path``."""
    size = path.stat().st_size
    problem = None
    if remote.size is not None and size != remote.size:
        problem = f"{size} bytes instead of {remote.size}"
    elif SHA256.match(remote.etag) and _digest(path, hashlib.sha256()) != remote.etag:
        problem = "its sha256 is not the one the Hub gave"
    elif GIT_OID.match(remote.etag) and _git_blob_id(path, size) != remote.etag:
        problem = "its git blob id is not the one the Hub gave"
    if problem is not None:
        path.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            f"{remote.repo_id}/{remote.path} is corrupted ({problem}); it was deleted and "
            "nothing was installed; pull it again"
        )


def _digest(path: Path, digest: Any) -> str:
    with path.open("rb") as source:
        while block := source.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _git_blob_id(path: Path, size: int) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"blob {size}\0".encode())
    return _digest(path, digest)
