"""A local fake of Discord's gateway websocket, speaking its wire format (JSON text frames):
HELLO (op 10), IDENTIFY (op 2) recorded, READY and GUILD_CREATE dispatched (op 0), every
heartbeat (op 1) acknowledged (op 11), voice state updates (op 4) recorded and, with
``voice_endpoint``, answered as Discord does (VOICE_STATE_UPDATE, VOICE_SERVER_UPDATE).
``refuse`` closes the socket after IDENTIFY with a close code instead (4014: disallowed
intents).

discord.py's ``Client`` connects to ``DiscordWebSocket.DEFAULT_GATEWAY`` (only
``AutoShardedClient`` asks ``GET /gateway/bot``); the adapter's ``gateway_url`` setting points
it here. ``/gateway/bot`` is answered too, by ``FakeDiscord``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

HELLO, IDENTIFY, HEARTBEAT, ACK, VOICE_STATE, DISPATCH = 10, 2, 1, 11, 4, 0
MESSAGE_CONTENT = 1 << 15


@dataclass
class FakeGateway:
    me: dict[str, Any]
    """The bot's user payload (READY's ``user``)."""
    application_id: int
    guilds: list[dict[str, Any]]
    """The GUILD_CREATE payloads sent after READY."""
    refuse: int | None = None
    """Close code to answer IDENTIFY with (e.g. 4014), instead of READY."""
    url: str = ""
    identifies: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: int = 0
    acks: int = 0
    voice_states: list[dict[str, Any]] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    voice_endpoint: str | None = None
    """Answer a voice join with VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE (this endpoint)."""
    _socket: web.WebSocketResponse | None = None
    _seq: int = 0

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/gateway", self._serve)

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await self._send(HELLO, {"heartbeat_interval": 41250})
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                break
            await self._receive(json.loads(frame.data))
        return socket

    async def _receive(self, payload: dict[str, Any]) -> None:
        op, data = payload["op"], payload.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            await self._send(ACK, None)
            self.acks += 1
        elif op == IDENTIFY:
            self.identifies.append(data)
            if self.refuse is not None:
                assert self._socket is not None
                await self._socket.close(code=self.refuse, message=b"Disallowed intent(s).")
                return
            await self._ready()
        elif op == VOICE_STATE:
            self.voice_states.append(data)
            await self._voice_state(data)

    async def _ready(self) -> None:
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": self.me,
                "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
                "session_id": "fake-session",
                "resume_gateway_url": self.url,
                "application": {"id": str(self.application_id), "flags": 0},
            },
        )
        for guild in self.guilds:
            await self.dispatch("GUILD_CREATE", guild)
        self.ready.set()

    async def _voice_state(self, data: dict[str, Any]) -> None:
        """What Discord answers a bot joining (or leaving) a voice channel with."""
        if self.voice_endpoint is None:
            return
        guild_id = str(data["guild_id"])  # Discord's snowflakes are strings on the wire
        channel_id = None if data["channel_id"] is None else str(data["channel_id"])
        state = {
            "guild_id": guild_id,
            "channel_id": channel_id,
            "user_id": self.me["id"],
            "session_id": "fake-voice-session",
            "deaf": False,
            "mute": False,
            "self_deaf": data.get("self_deaf", False),
            "self_mute": data.get("self_mute", False),
            "self_video": False,
            "suppress": False,
            "request_to_speak_timestamp": None,
        }
        await self.dispatch("VOICE_STATE_UPDATE", state)
        if channel_id is not None:
            server = {"token": "voice-token", "guild_id": guild_id, "endpoint": self.voice_endpoint}
            await self.dispatch("VOICE_SERVER_UPDATE", server)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one gateway event (op 0) to the bot."""
        self._seq += 1
        await self._send(DISPATCH, data, event=event, seq=self._seq)

    async def _send(
        self, op: int, data: Any, *, event: str | None = None, seq: int | None = None
    ) -> None:
        assert self._socket is not None
        await self._socket.send_str(json.dumps({"op": op, "d": data, "s": seq, "t": event}))
