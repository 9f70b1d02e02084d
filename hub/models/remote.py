"""The Hugging Face Hub's file API, read with plain HTTP.

``HEAD <endpoint>/<repo>/resolve/<revision>/<path>`` (redirects not followed) answers with
the commit (``X-Repo-Commit``), the file's checksum (``X-Linked-Etag``: the sha256 of a large
LFS file; else ``ETag``: its git blob id) and its size (``X-Linked-Size`` or
``Content-Length``); ``GET`` of the same path at that commit, with ``Range`` to resume, gives
the content. Errors carry ``X-Error-Code`` (``GatedRepo``, ``RepoNotFound``,
``RevisionNotFound``, ``EntryNotFound``). ``HF_ENDPOINT`` and ``HF_TOKEN`` are honoured as
huggingface_hub honours them; the token is sent only to the endpoint's host.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx2

from hub.models.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HubUnreachableError,
    ModelsError,
    RepoNotFoundError,
)

DEFAULT_ENDPOINT = "https://huggingface.co"
USER_AGENT = "voicebus-models/1"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a repository at one commit, as the Hub describes it."""

    repo_id: str
    path: str
    commit: str
    etag: str
    size: int | None
    url: str


def hub_token() -> str | None:
    """``HF_TOKEN``, else the token file huggingface_hub's login writes."""
    if os.environ.get("HF_TOKEN"):
        return os.environ["HF_TOKEN"].strip()
    home = Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")
    token_file = Path(os.environ.get("HF_TOKEN_PATH") or home / "token")
    try:
        return token_file.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def normalize_etag(value: str | None) -> str:
    return (value or "").removeprefix("W/").strip('"')


class HubFiles:
    """Describes and streams files of Hub repositories (one HTTP client, closed with it)."""

    def __init__(self, endpoint: str | None = None, token: str | None = None) -> None:
        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.token = token if token is not None else hub_token()
        self._client = httpx2.Client(
            timeout=httpx2.Timeout(30.0, connect=10.0),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HubFiles:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def file_url(self, repo_id: str, revision: str, path: str) -> str:
        return f"{self.endpoint}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(path)}"

    def describe(self, repo_id: str, revision: str, path: str) -> RemoteFile:
        """The file's commit, checksum and size (raises a typed error naming the cause)."""
        if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
            raise HubUnreachableError(
                f"HF_HUB_OFFLINE is set, so {repo_id} is not downloaded; unset it, or bring "
                "the weights with 'voicebus models bundle' / 'voicebus models import'"
            )
        url = self.file_url(repo_id, revision, path)
        response = self._head(url)
        for _ in range(5):  # a renamed repo answers with a redirect on the same host
            if not response.is_redirect or response.headers.get("X-Linked-Etag"):
                break
            location = response.headers.get("Location", "")
            if not location.startswith("/"):
                break
            response = self._head(self.endpoint + location)
        self._raise_for(response, repo_id, revision, path)
        headers = response.headers
        commit = headers.get("X-Repo-Commit", "")
        etag = normalize_etag(headers.get("X-Linked-Etag") or headers.get("ETag"))
        if not commit or not etag:
            raise ModelsError(
                f"{self.endpoint} did not describe {repo_id}/{path} (no commit or checksum); "
                "is HF_ENDPOINT a Hugging Face Hub?"
            )
        size = headers.get("X-Linked-Size") or (
            None if response.is_redirect else headers.get("Content-Length")
        )
        return RemoteFile(
            repo_id,
            path,
            commit,
            etag,
            int(size) if size else None,
            self.file_url(repo_id, commit, path),
        )

    @contextmanager
    def open(self, remote: RemoteFile, start: int = 0) -> Iterator[httpx2.Response]:
        """A streaming GET of the file from byte ``start`` (a 206, or a 200 from zero)."""
        # identity: the bytes on the wire are the file (checked against its size and checksum)
        headers = {**self._auth(remote.url), "Accept-Encoding": "identity"}
        if start:
            headers["Range"] = f"bytes={start}-"
        try:
            with self._client.stream(
                "GET", remote.url, headers=headers, follow_redirects=True
            ) as response:
                if response.status_code not in (200, 206, 416):
                    response.read()
                    self._raise_for(response, remote.repo_id, remote.commit, remote.path)
                yield response
        except httpx2.ConnectError as error:
            raise HubUnreachableError(f"cannot reach {self.endpoint}: {error}") from None

    def _head(self, url: str) -> httpx2.Response:
        headers = {**self._auth(url), "Accept-Encoding": "identity"}
        try:
            return self._client.head(url, headers=headers)
        except httpx2.TransportError as error:
            raise HubUnreachableError(f"cannot reach {self.endpoint}: {error}") from None

    def _auth(self, url: str) -> dict[str, str]:
        """The token, only for the endpoint's own host (httpx drops it on cross-host redirects)."""
        if self.token and httpx2.URL(url).host == httpx2.URL(self.endpoint).host:
            return {"Authorization": f"Bearer {self.token}"}
        return {}

    def _raise_for(self, response: httpx2.Response, repo_id: str, revision: str, path: str) -> None:
        status = response.status_code
        if status < 400:
            return
        code = response.headers.get("X-Error-Code", "")
        page = f"{self.endpoint}/{repo_id}"
        if code == "GatedRepo":
            if self.token:
                raise GatedRepoError(
                    f"{repo_id} is gated and the token in HF_TOKEN has no access; accept its "
                    f"terms on {page} with that account"
                )
            raise GatedRepoError(
                f"{repo_id} is gated: accept its terms on {page}, then set HF_TOKEN to an "
                "access token of that account (https://huggingface.co/settings/tokens)"
            )
        if code == "RevisionNotFound":
            raise RepoNotFoundError(f"{repo_id} has no revision {revision!r}")
        if code == "EntryNotFound" or (status == 404 and code != "RepoNotFound"):
            raise EntryNotFoundError(f"{repo_id}@{revision} has no file {path}")
        if status in (401, 404):
            hint = "" if self.token else " (if it is private, set HF_TOKEN)"
            raise RepoNotFoundError(f"repository {repo_id} not found on {self.endpoint}{hint}")
        raise ModelsError(f"{self.endpoint} answered {status} for {repo_id}/{path}")
