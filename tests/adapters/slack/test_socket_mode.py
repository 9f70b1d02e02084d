"""Socket Mode end to end: the adapter opens Slack's WebSocket with the app token, acks each
envelope on it, and answers a ``/say`` and a mention with uploads, with no HTTP port."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from adapters.slack import messages
from hub.client import HubClient
from tests.adapters.slack.mock_slack import APP_TOKEN, TEAM, MockSlack
from tests.adapters.slack.support import (
    assert_speech_file,
    mention_body,
    running,
    settings_for,
)
from tests.helpers import free_port

SAID = "The morning train left the station right on time."
MENTIONED = "Rain began to tap gently against the glass."
ACK_SECONDS = 3.0
"""Slack's limit for an envelope's ack."""


def say_payload(mock: MockSlack, text: str) -> dict[str, Any]:
    """A slash command as Socket Mode carries it: the HTTP form's fields, as JSON strings."""
    return {
        "token": "legacy-verification-token", "team_id": TEAM, "team_domain": "test",
        "channel_id": "C1", "channel_name": "general", "user_id": "U1", "user_name": "alice",
        "command": "/say", "text": text, "api_app_id": "A1", "is_enterprise_install": "false",
        "response_url": mock.response_url("socket"), "trigger_id": "1.2.3",
    }  # fmt: skip


def nothing_listens(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def uploaded(mock: MockSlack, complete: Any) -> bytes:
    [file] = json.loads(complete.params["files"])
    return mock.uploads[file["id"]]


async def test_socket_mode_acks_and_answers_say_and_a_mention(
    slack_api: MockSlack, hub: HubClient, bucket: str, whisper: Any
):
    port = free_port()
    settings = settings_for(
        slack_api, app_token=APP_TOKEN, signing_secret="", port=port, voice_bucket=bucket
    )
    link = slack_api.socket
    async with running(settings, hub) as slack:
        await asyncio.wait_for(link.connected.wait(), 10)
        [opened] = slack_api.of("apps.connections.open")
        assert opened.token == APP_TOKEN
        assert slack.adapter.port is None and nothing_listens(port), "no HTTP in Socket Mode"

        say_id, sent = await link.send("slash_commands", say_payload(slack_api, SAID))
        acked, ack = await link.ack_of(say_id)
        assert acked - sent < ACK_SECONDS, acked - sent
        assert ack == {
            "envelope_id": say_id,
            "payload": {"text": messages.SPEAKING, "response_type": "ephemeral"},
        }
        [said] = await slack_api.wait_for("files.completeUploadExternal")
        assert said.params["channel_id"] == "C1" and not said.params.get("thread_ts")
        assert_speech_file(uploaded(slack_api, said), SAID, whisper)

        event = json.loads(mention_body(MENTIONED, "EvSock1"))
        mention_id, sent = await link.send("events_api", event, retry_attempt=0, retry_reason="")
        acked, ack = await link.ack_of(mention_id)
        assert acked - sent < ACK_SECONDS and ack == {"envelope_id": mention_id}
        _, answer = await slack_api.wait_for("files.completeUploadExternal", 2)
        assert answer.params["thread_ts"] == event["event"]["ts"], "replied in its thread"
        assert_speech_file(uploaded(slack_api, answer), MENTIONED, whisper)
    assert len(slack_api.of("apps.connections.open")) == 1
    assert not slack_api.responses, "no error note"
