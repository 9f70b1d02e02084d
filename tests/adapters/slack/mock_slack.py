"""A local stand-in for Slack's cloud, speaking its real wire format (like bolt-python's
``tests/mock_web_api_server``): the Web API methods the adapter calls, the upload URL that
``files.getUploadURLExternal`` hands out, and ``response_url`` webhooks. It records every
call so tests can assert on what the adapter sent."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_TOKEN = "xoxb-valid-token"
APP_TOKEN = "xapp-1-A1-valid-app-token"
"""The one app-level token ``apps.connections.open`` accepts (Socket Mode)."""
BOT_USER = "UBOT"
TEAM = "T1"
REFUSING_CHANNEL = "CNOTIN"
"""Uploads completed into this channel fail with ``not_in_channel``."""
_SCOPES = {"conversations.replies": "channels:history,groups:history", "users.info": "users:read"}
"""What Slack names in ``needed`` when a method fails with ``missing_scope``."""


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.perf_counter)
    """When it arrived (``time.perf_counter``: comparable within this process)."""


@dataclass
class MockSlack:
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    """thread ts -> its parent message, for ``conversations.replies``."""
    names: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    """Web API method -> the error code it answers with (``missing_scope`` ...)."""
    failing_uploads: bool = False
    """The upload URL answers 500 (a failed POST of the bytes)."""
    socket: SocketLink = field(default_factory=lambda: SocketLink())
    port: int = 0
    _runner: web.AppRunner | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.url}/response/{name}"

    def of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 60.0) -> list[Call]:
        """The calls of ``method`` once there are ``count`` of them."""
        async with asyncio.timeout(timeout):
            while len(self.of(method)) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.of(method)

    async def wait_for_response(self, count: int = 1, timeout: float = 60.0) -> list[dict]:
        async with asyncio.timeout(timeout):
            while len(self.responses) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.responses

    # ---- server ------------------------------------------------------------------------

    async def start(self) -> MockSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/link", self.socket.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self.changed.set()

    async def _api(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.method == "POST":
            params.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or None
        method = request.match_info["method"]
        self._record(Call(method, params, token))
        if method == "apps.connections.open" and token == APP_TOKEN:
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"})
        if token != BOT_TOKEN:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(self._answer(method, params))

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in self.errors:
            error = {"ok": False, "error": self.errors[method]}
            if error["error"] == "missing_scope":
                error |= {"needed": _SCOPES.get(method, ""), "provided": "commands,chat:write"}
            return error
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "B1", "team_id": TEAM,
                    "user": "voicebus", "team": "Test", "url": f"{self.url}/"}  # fmt: skip
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids)}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            if params.get("channel_id") == REFUSING_CHANNEL:
                return {"ok": False, "error": "not_in_channel"}
            files = json.loads(params["files"])
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "conversations.replies":
            parent = self.threads.get(str(params.get("ts")))
            return {"ok": True, "messages": [parent] if parent else [], "has_more": False}
        if method == "users.info":
            name = self.names.get(str(params.get("user")))
            if name is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": params["user"], "name": name, "profile": {}}}
        return {"ok": True}

    async def _upload(self, request: web.Request) -> web.Response:
        if self.failing_uploads:
            return web.Response(status=500, text="upload failed")
        self.uploads[request.match_info["file_id"]] = await request.read()
        self.changed.set()
        return web.Response(text="OK")

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        self.changed.set()
        return web.Response(text="ok")


class SocketLink:
    """Slack's Socket Mode WebSocket (``/link``): says ``hello`` to the app that connects,
    sends the envelopes a test hands it, and records what the app sends back (acks)."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, Any]]] = []
        self.connected = asyncio.Event()
        self._changed = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({
            "type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"},
            "debug_info": {"host": "mock-slack", "approximate_connection_time": 3600},
        })  # fmt: skip
        self.connected.set()
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.received.append((time.perf_counter(), json.loads(message.data)))
                self._changed.set()
        return ws

    async def send(self, kind: str, payload: dict[str, Any], **extra: Any) -> tuple[str, float]:
        """Push one envelope (``slash_commands``, ``events_api``, ``interactive``); returns
        its id and when it was sent."""
        assert self._ws is not None, "no app connected"
        envelope_id = str(uuid.uuid4())
        accepts = kind != "events_api"
        await self._ws.send_json({"envelope_id": envelope_id, "payload": payload, "type": kind,
                                  "accepts_response_payload": accepts, **extra})  # fmt: skip
        return envelope_id, time.perf_counter()

    async def ack_of(self, envelope_id: str, timeout: float = 10.0) -> tuple[float, dict[str, Any]]:
        """The app's answer to ``envelope_id`` and when it arrived."""
        async with asyncio.timeout(timeout):
            while True:
                for at, message in self.received:
                    if message.get("envelope_id") == envelope_id:
                        return at, message
                self._changed.clear()
                await self._changed.wait()
