"""Signed requests to the real adapter over HTTP, the way Slack sends them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx2 as httpx
from slack_sdk.signature import SignatureVerifier

from adapters.slack.app import SlackAdapter
from adapters.slack.settings import SlackSettings
from hub.audio import decode_to_pcm
from hub.client import HubClient
from tests.adapters.slack.mock_slack import BOT_TOKEN, BOT_USER, TEAM, MockSlack
from tests.helpers import assert_is_speech

SIGNING_SECRET = "test-signing-secret-0123456789"
VOICE_RATE = 22050
"""The test voice's own rate, which the uploaded file keeps (no resampling)."""


def assert_speech_file(audio: bytes, text: str, whisper: Any, encoding: str = "mp3") -> None:
    """``audio`` is one mono file at the voice's rate holding speech of ``text``."""
    pcm, rate, channels = decode_to_pcm(audio, encoding)
    assert (rate, channels) == (VOICE_RATE, 1)
    assert_is_speech(pcm, rate, text, whisper)


def headers_for(body: str, *, secret: str = SIGNING_SECRET, age: float = 0.0) -> dict[str, str]:
    timestamp = str(int(time.time() - age))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


def command_body(command: str, text: str, mock: MockSlack, **fields: str) -> str:
    form = {
        "command": command, "text": text, "user_id": "U1", "user_name": "alice",
        "channel_id": "C1", "team_id": TEAM, "trigger_id": "1.2.3",
        "response_url": mock.response_url(), **fields,
    }  # fmt: skip
    return urlencode(form)


def mention_body(text: str, event_id: str, **event: Any) -> str:
    return json.dumps({
        "type": "event_callback", "team_id": TEAM, "api_app_id": "A1", "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        "event": {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> {text}",
                  "channel": "C1", "ts": "1700000100.000200", "event_ts": "1700000100.000200",
                  **event},
    })  # fmt: skip


def shortcut_body(message: dict[str, Any], mock: MockSlack) -> str:
    payload = {
        "type": "message_action", "callback_id": "read_aloud", "trigger_id": "1.2.3",
        "team": {"id": TEAM}, "user": {"id": "U1"}, "channel": {"id": "C1"},
        "message": {"type": "message", **message}, "response_url": mock.response_url("sc"),
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)})


class RunningAdapter:
    """The real adapter serving on a free port, and a client that posts signed requests."""

    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter
        self.http = httpx.AsyncClient(timeout=10.0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.adapter.port}/slack/events"

    async def post(
        self, body: str, *, form: bool = True, headers: dict[str, str] | None = None, **sign: Any
    ) -> httpx.Response:
        content_type = "application/x-www-form-urlencoded" if form else "application/json"
        sent = {"Content-Type": content_type, **headers_for(body, **sign), **(headers or {})}
        return await self.http.post(self.url, content=body, headers=sent)


async def answer_of(
    slack: RunningAdapter, mock: MockSlack, command: str, text: str, **fields: str
) -> str:
    """The ephemeral answer a command posts to its ``response_url`` after an empty ack
    (``/voice``)."""
    seen = len(mock.responses)
    ack = await slack.post(command_body(command, text, mock, **fields))
    assert ack.status_code == 200 and not ack.content, ack.text
    answers = await mock.wait_for_response(seen + 1)
    assert answers[seen]["response_type"] == "ephemeral"
    return str(answers[seen]["text"])


def settings_for(mock: MockSlack, **overrides: Any) -> SlackSettings:
    unique = uuid.uuid4().hex[:8]
    values: dict[str, Any] = {
        "port": 0, "bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET,
        "api_url": mock.api_url, "voice_bucket": f"slack-voices-{unique}",
        "events_bucket": f"slack-events-{unique}", **overrides,
    }  # fmt: skip
    return SlackSettings(**values)


@contextlib.asynccontextmanager
async def running(settings: SlackSettings, hub: HubClient) -> AsyncIterator[RunningAdapter]:
    adapter = SlackAdapter(settings, hub)
    stop = asyncio.Event()
    task = asyncio.create_task(adapter.serve(stop))
    started = asyncio.create_task(adapter.started.wait())
    await asyncio.wait({task, started}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        started.cancel()
        await task  # raises why it did not start
    running_adapter = RunningAdapter(adapter)
    try:
        yield running_adapter
    finally:
        await running_adapter.http.aclose()
        stop.set()
        await asyncio.wait_for(task, 10)
