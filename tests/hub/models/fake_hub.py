"""A local Hugging Face Hub: the file API's wire format for a few repositories in memory.

``HEAD``/``GET /<repo>/resolve/<revision>/<path>`` answer as the Hub does: ``X-Repo-Commit``;
large (LFS) files redirect (302) to a "CDN" on another host name (``localhost`` instead of
``127.0.0.1``) with ``X-Linked-Etag`` (their sha256) and ``X-Linked-Size``; small files answer
directly with ``ETag`` (their git blob id), gzipped when the client accepts it. Errors
carry ``X-Error-Code``. The CDN honours ``Range`` (unless told to ignore it). Faults on
demand: cut a file's connection once mid-body, or serve it corrupted.
Every request is recorded (method, path, Range, whether a token came along).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

LFS_FROM_BYTES = 1024


@dataclass
class FakeRepo:
    files: dict[str, bytes | Path]
    commit: str = ""
    gated: bool = False

    def __post_init__(self) -> None:
        self.commit = self.commit or hashlib.sha1(repr(sorted(self.files)).encode()).hexdigest()

    def content(self, path: str) -> bytes:
        value = self.files[path]
        return value.read_bytes() if isinstance(value, Path) else value


@dataclass
class Seen:
    method: str
    path: str
    range: str | None
    token: bool


@dataclass
class FakeHub:
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    token: str = "hf_test_token"
    cut_once: set[str] = field(default_factory=set)
    corrupt: set[str] = field(default_factory=set)
    ignore_range: bool = False
    seen: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _sha: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def sha256(self, repo_id: str, path: str) -> str:
        key = (repo_id, path)
        if key not in self._sha:
            self._sha[key] = hashlib.sha256(self.repos[repo_id].content(path)).hexdigest()
        return self._sha[key]

    def requests(self, method: str, suffix: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.endswith(suffix)]


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        path = unquote(self.path.split("?", 1)[0])
        auth = self.headers.get("Authorization", "")
        self.fake.seen.append(Seen(self.command, path, self.headers.get("Range"), bool(auth)))
        if path.startswith("/cdn/"):
            self._cdn(path.removeprefix("/cdn/"), body)
            return
        parts = path.lstrip("/").split("/")
        if len(parts) < 5 or parts[2] != "resolve":
            self._error(404, "RepoNotFound")
            return
        repo_id, revision, name = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
        repo = self.fake.repos.get(repo_id)
        if repo is None:
            self._error(401, "RepoNotFound")
        elif repo.gated and auth != f"Bearer {self.fake.token}":
            self._error(401 if not auth else 403, "GatedRepo")
        elif revision not in ("main", repo.commit):
            self._error(404, "RevisionNotFound", repo.commit)
        elif name not in repo.files:
            self._error(404, "EntryNotFound", repo.commit)
        else:
            self._file(repo_id, repo, name, body)

    def _file(self, repo_id: str, repo: FakeRepo, name: str, body: bool) -> None:
        data = repo.content(name)
        if len(data) < LFS_FROM_BYTES:
            served = self._served(repo_id, name, data)
            zipped = "gzip" in self.headers.get("Accept-Encoding", "")  # as a CDN may do
            if zipped:
                served = gzip.compress(served)
            self.send_response(200)
            self.send_header("X-Repo-Commit", repo.commit)
            self.send_header("ETag", f'"{git_blob_id(data)}"')
            self.send_header("Content-Length", str(len(served)))
            if zipped:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            if body:
                self.wfile.write(served)
            return
        sha = self.fake.sha256(repo_id, name)
        self.send_response(302)
        self.send_header("X-Repo-Commit", repo.commit)
        self.send_header("X-Linked-Etag", f'"{sha}"')
        self.send_header("X-Linked-Size", str(len(data)))
        self.send_header("ETag", '"pointer"')
        self.send_header("Location", f"http://localhost:{self.fake.port}/cdn/{repo_id}/{name}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _cdn(self, rest: str, body: bool) -> None:
        parts = rest.split("/")
        repo_id, name = "/".join(parts[:2]), "/".join(parts[2:])
        data = self._served(repo_id, name, self.fake.repos[repo_id].content(name))
        start = 0
        wanted = None if self.fake.ignore_range else self.headers.get("Range")
        if wanted:
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(206 if wanted else 200)
        if wanted:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if not body:
            return
        if name in self.fake.cut_once:
            self.fake.cut_once.discard(name)
            half = start + (len(data) - start) // 2
            self.wfile.write(data[start:half])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data[start:])

    def _served(self, repo_id: str, name: str, data: bytes) -> bytes:
        if name in self.fake.corrupt:
            return data[:-1] + bytes([data[-1] ^ 0xFF])
        return data

    def _error(self, status: int, code: str, commit: str | None = None) -> None:
        message = b'{"error": "' + code.encode() + b'"}'
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        if commit:
            self.send_header("X-Repo-Commit", commit)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(message)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(message)
