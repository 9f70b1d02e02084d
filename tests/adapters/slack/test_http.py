"""Signed HTTP requests to the real adapter: signatures, /say with its upload, errors."""

from __future__ import annotations

import time
from typing import Any

from adapters.slack import messages
from hub.client import HubClient
from tests.adapters.slack.mock_slack import MockSlack
from tests.adapters.slack.support import (
    RunningAdapter,
    assert_speech_file,
    command_body,
    running,
    settings_for,
)
from tests.conftest import DEFAULT_VOICE
from tests.helpers import story

SENTENCE = "The morning train left the station right on time."


async def test_bad_and_stale_signatures_get_401(slack: RunningAdapter, slack_api: MockSlack):
    body = command_body("/voices", "", slack_api)
    assert (await slack.post(body, secret="not-the-secret")).status_code == 401
    assert (await slack.post(body, age=301)).status_code == 401
    unsigned = await slack.http.post(slack.url, content=body)
    assert unsigned.status_code == 401
    answer = await slack.post(body, age=200)  # within Slack's five minutes
    assert answer.status_code == 200
    assert f"`{DEFAULT_VOICE}`" in answer.json()["text"]
    assert answer.json()["response_type"] == "ephemeral", "/voices only to who asked"


async def test_say_acks_at_once_and_uploads_speech(
    slack: RunningAdapter, slack_api: MockSlack, whisper: Any
):
    started = time.perf_counter()
    answer = await slack.post(command_body("/say", f"*{SENTENCE}*", slack_api))
    ack_seconds = time.perf_counter() - started
    assert answer.status_code == 200 and ack_seconds < 1.0, ack_seconds
    assert answer.json() == {"text": messages.SPEAKING, "response_type": "ephemeral"}
    [complete] = await slack_api.wait_for("files.completeUploadExternal")
    assert complete.params["channel_id"] == "C1"
    assert complete.params["initial_comment"] == f"*{SENTENCE}*"
    [requested] = slack_api.of("files.getUploadURLExternal")
    assert requested.params["filename"] == "speech.mp3"
    [audio] = slack_api.uploads.values()
    assert int(requested.params["length"]) == len(audio)
    assert_speech_file(audio, SENTENCE, whisper)
    assert not slack_api.responses, "no error note after a good /say"


async def test_a_long_say_in_another_format(
    slack_api: MockSlack, hub: HubClient, bucket: str, whisper: Any
):
    text = story(4)
    async with running(
        settings_for(slack_api, voice_bucket=bucket, audio_format="wav"), hub
    ) as slack:
        answer = await slack.post(
            command_body("/say", f"--voice {DEFAULT_VOICE} {text}", slack_api)
        )
        assert answer.json()["text"] == messages.SPEAKING
        await slack_api.wait_for("files.completeUploadExternal")
    [requested] = slack_api.of("files.getUploadURLExternal")
    assert requested.params["filename"] == "speech.wav"
    [audio] = slack_api.uploads.values()
    assert_speech_file(audio, text, whisper, "wav")


async def test_say_with_an_unknown_voice_is_an_ephemeral_note(
    slack: RunningAdapter, slack_api: MockSlack
):
    answer = await slack.post(command_body("/say", "--voice nobody Hello there.", slack_api))
    assert answer.json()["text"] == messages.SPEAKING
    [note] = await slack_api.wait_for_response()
    assert note["response_type"] == "ephemeral"
    assert "`nobody`" in note["text"] and DEFAULT_VOICE in note["text"]
    assert "Traceback" not in note["text"]
    assert not slack_api.of("files.getUploadURLExternal")


async def test_refusals_answer_in_the_ack(slack_api: MockSlack, hub: HubClient, bucket: str):
    settings = settings_for(slack_api, voice_bucket=bucket, max_text_chars=40, rate_limit=1)
    async with running(settings, hub) as slack:
        empty = await slack.post(command_body("/say", "  :-) ", slack_api))
        assert empty.json() == {"text": messages.EMPTY, "response_type": "ephemeral"}
        long = await slack.post(command_body("/say", "word " * 20, slack_api))
        assert long.json()["text"] == messages.too_long(99, 40)
        first = await slack.post(command_body("/say", "Hi.", slack_api))
        assert first.json()["text"] == messages.SPEAKING
        second = await slack.post(command_body("/say", "Hi again.", slack_api))
        assert second.json()["text"].startswith("You are going fast")
        assert second.json()["response_type"] == "ephemeral"
        await slack_api.wait_for("files.completeUploadExternal")
    assert len(slack_api.of("files.getUploadURLExternal")) == 1


async def test_upload_refused_by_slack_says_what_to_do(slack: RunningAdapter, slack_api: MockSlack):
    await slack.post(command_body("/say", "Hello there.", slack_api, channel_id="CNOTIN"))
    [note] = await slack_api.wait_for_response()
    assert note["response_type"] == "ephemeral"
    assert "Invite me" in note["text"]
