"""A local fake of Discord's voice websocket (``wss://<endpoint>/?v=8``) that refuses every
voice connection as Discord does now without DAVE: it records the IDENTIFY (op 0) and
closes with 4017. discord.py dials voice only over TLS, so the server has a throw-away
certificate for 127.0.0.1 that the tests' process trusts."""

from __future__ import annotations

import json
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp.connector
from aiohttp import WSMsgType, web

IDENTIFY = 0


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for IP 127.0.0.1 (openssl): (certificate, key)."""
    cert, key = folder / "voice.crt", folder / "voice.key"
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            *subject,
            *files,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def trust(cert: Path) -> None:
    """Trust ``cert`` in aiohttp's verifying TLS context, which discord.py's client uses (it
    is made once, at import; this adds one CA to it for this process)."""
    aiohttp.connector._SSL_CONTEXT_VERIFIED.load_verify_locations(cafile=str(cert))


@dataclass
class FakeVoiceServer:
    close_code: int = 4017
    identifies: list[dict[str, Any]] = field(default_factory=list)
    endpoint: str = ""
    """``host:port``, as VOICE_SERVER_UPDATE gives it."""
    _runner: web.AppRunner | None = None

    async def start(self, cert: Path, key: Path) -> FakeVoiceServer:
        app = web.Application()
        app.router.add_get("/", self._serve)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.endpoint = f"127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                break
            payload = json.loads(frame.data)
            if payload.get("op") == IDENTIFY:
                self.identifies.append(payload["d"])
                await socket.close(code=self.close_code, message=b"E2EE/DAVE protocol required")
        return socket
