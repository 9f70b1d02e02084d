"""A local fake of the part of Discord's REST API the bot uses, and raw gateway payloads.

discord.py's own HTTP client talks to it (``DiscordSettings.api_base``): log-in
(``/users/@me``, ``/oauth2/applications/@me``), command sync, interaction callbacks and
follow-ups, every request recorded; ``gateway`` is the local fake gateway websocket
(``fake_gateway``). Most tests feed gateway events to discord.py's own parsers
(``state.parsers[...]``), which is what its websocket does with them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.adapters.discord.fake_gateway import FakeGateway

TOKEN = "good-token"
BOT_ID, APP_ID, GUILD_ID, OTHER_GUILD_ID = 100, 200, 10, 11
ANN, BOB, ROBOT = 1, 2, 3
GENERAL, LOUNGE, QUIET = 2000, 3000, 4000
MODS_ROLE, DJ_ROLE = 50, 51
VIEW, SEND, CONNECT, SPEAK, MANAGE_GUILD = 1 << 10, 1 << 11, 1 << 20, 1 << 21, 1 << 5
EVERYONE_PERMS = VIEW | SEND | CONNECT | SPEAK


@dataclass
class Recorded:
    method: str
    path: str
    body: Any


@dataclass
class FakeDiscord:
    requests: list[Recorded] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5000))
    _runner: web.AppRunner | None = None
    url: str = ""
    gateway: FakeGateway = field(
        default_factory=lambda: FakeGateway(user(BOT_ID, "voicebus", bot=True), APP_ID, [guild()])
    )

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self.gateway.mount(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/v10"
        self.gateway.url = f"ws://127.0.0.1:{port}/gateway"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == "application/json" else None
        self.requests.append(Recorded(request.method, path, body))
        if request.headers.get("Authorization") not in (f"Bot {TOKEN}", None):
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(self._answer(request.method, path, body))

    def _answer(self, method: str, path: str, body: Any) -> Any:
        if path == "/users/@me":
            return user(BOT_ID, "voicebus", bot=True)
        if path == "/oauth2/applications/@me":
            return application()
        if path == "/gateway/bot":
            return {
                "url": self.gateway.url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        if path.endswith("/commands") and method == "PUT":
            return [{**c, "id": str(next(self._ids)), "application_id": str(APP_ID)} for c in body]
        if path.endswith("/callback"):
            interaction_id = path.split("/")[2]
            return {"interaction": {"id": interaction_id, "type": 2}}
        if path.startswith("/webhooks/"):
            return message(next(self._ids), GENERAL, BOT_ID, (body or {}).get("content", ""))
        return {}

    # ---- what the bot answered ---------------------------------------------------------

    def answers(self, interaction_id: int) -> list[dict[str, Any]]:
        """Every reply to one interaction: the callback's data, then follow-ups."""
        found = []
        for item in self.requests:
            if item.path.startswith(f"/interactions/{interaction_id}/"):
                found.append({"type": item.body["type"], **(item.body.get("data") or {})})
            elif item.path.startswith(f"/webhooks/{APP_ID}/token-{interaction_id}"):
                found.append({"type": "followup", **(item.body or {})})
        return found

    async def wait_for(self, check: Callable[[], Any], timeout: float = 15.0) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while not (result := check()):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"not seen in {timeout} s; requests: {self.requests[-5:]}")
            await asyncio.sleep(0.02)
        return result

    async def final_text(self, interaction_id: int, timeout: float = 15.0) -> str:
        """The text the user finally saw (waits for a reply that has content)."""

        def text() -> str | None:
            contents = [a.get("content") for a in self.answers(interaction_id)]
            contents = [c for c in contents if c]
            return contents[-1] if contents else None

        answer: str = await self.wait_for(text, timeout)
        return answer


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py parses JSON only for exactly "application/json", as Discord sends it
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


# ---- raw payloads, as Discord sends them -------------------------------------------------


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
    }


def application() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "voicebus",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user(ANN, "ann"),
        "verify_key": "0" * 64,
        "flags": 0,
    }


def role(role_id: int, name: str, permissions: int = 0) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": 0 if role_id in (GUILD_ID, OTHER_GUILD_ID) else 1,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": True,
    }


def member(user_id: int, name: str, roles: list[int], *, nick: str | None = None, bot=False):  # type: ignore[no-untyped-def]
    return {
        "user": user(user_id, name, bot=bot),
        "nick": nick,
        "roles": [str(r) for r in roles],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def voice_state(user_id: int, channel_id: int) -> dict[str, Any]:
    return {
        "user_id": str(user_id),
        "channel_id": str(channel_id),
        "session_id": f"s{user_id}",
        "deaf": False,
        "mute": False,
        "self_deaf": False,
        "self_mute": False,
        "self_video": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }


def guild(guild_id: int = GUILD_ID, *, in_voice: dict[int, int] | None = None) -> dict[str, Any]:
    """A GUILD_CREATE: Ann (nick Annie, a mod), Bob, a bot, #general, Lounge and Quiet."""
    channels = [
        {"id": str(GENERAL + guild_id), "type": 0, "name": "general"},
        {
            "id": str(LOUNGE + guild_id),
            "type": 2,
            "name": "Lounge",
            "bitrate": 64000,
            "user_limit": 0,
            "rtc_region": None,
        },
        {
            "id": str(QUIET + guild_id),
            "type": 2,
            "name": "Quiet",
            "bitrate": 64000,
            "user_limit": 0,
            "rtc_region": None,
        },
    ]
    for position, channel in enumerate(channels):
        channel.update(position=position, guild_id=str(guild_id), permission_overwrites=[])
    in_voice = {ANN: LOUNGE + guild_id} if in_voice is None else in_voice
    return {
        "id": str(guild_id),
        "name": f"Guild {guild_id}",
        "icon": None,
        "owner_id": str(ANN),
        "roles": [
            role(guild_id, "@everyone", EVERYONE_PERMS),
            role(MODS_ROLE, "mods", MANAGE_GUILD),
            role(DJ_ROLE, "dj"),
        ],
        "channels": channels,
        "members": [
            member(ANN, "ann", [MODS_ROLE], nick="Annie"),
            member(BOB, "bob", []),
            member(ROBOT, "robot", [], bot=True),
            member(BOT_ID, "voicebus", [], bot=True),
        ],
        "voice_states": [voice_state(uid, cid) for uid, cid in in_voice.items()],
        "member_count": 4,
        "emojis": [],
        "stickers": [],
        "features": [],
        "large": False,
        "unavailable": False,
        "mfa_level": 0,
        "verification_level": 0,
        "explicit_content_filter": 0,
        "default_message_notifications": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "system_channel_flags": 0,
    }


def message(message_id: int, channel_id: int, author_id: int, content: str, **extra: Any):  # type: ignore[no-untyped-def]
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": user(author_id, {ANN: "ann", BOB: "bob", ROBOT: "robot"}.get(author_id, "x")),
        "content": content,
        "timestamp": "2026-12-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        **extra,
    }
