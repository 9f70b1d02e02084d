"""Mentions, retries, "this" in a thread, the Read aloud shortcut, and voices kept in KV."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from adapters.slack import messages
from hub.client import HubClient
from tests.adapters.slack.mock_slack import MockSlack
from tests.adapters.slack.support import (
    RunningAdapter,
    answer_of,
    assert_speech_file,
    command_body,
    mention_body,
    running,
    settings_for,
    shortcut_body,
)
from tests.conftest import DEFAULT_VOICE, PrivateBus
from tests.helpers import story

PARENT = story(3)
THREAD_TS = "1700000000.000100"
ACK_SECONDS = 3.0
"""Slack's limit for acking a slash command."""


async def test_this_in_a_thread_reads_the_parent_once_despite_retries(
    slack: RunningAdapter, slack_api: MockSlack, whisper: Any
):
    slack_api.threads[THREAD_TS] = {"ts": THREAD_TS, "text": f"_{PARENT}_"}
    body = mention_body("this", "Ev0001", thread_ts=THREAD_TS)
    first = await slack.post(body, form=False)
    assert first.status_code == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await slack.post(body, form=False, headers=retry)).status_code == 200
    [complete] = await slack_api.wait_for("files.completeUploadExternal")
    assert complete.params["thread_ts"] == THREAD_TS and complete.params["channel_id"] == "C1"
    [replies] = slack_api.of("conversations.replies")
    assert replies.params["ts"] == THREAD_TS
    [audio] = slack_api.uploads.values()
    assert_speech_file(audio, PARENT, whisper)
    await asyncio.sleep(0.5)  # a second answer would have started by now
    assert len(slack_api.of("files.getUploadURLExternal")) == 1


async def test_a_retry_after_a_restart_is_not_answered_again(
    slack_api: MockSlack, hub: HubClient, bucket: str
):
    settings = settings_for(slack_api, events_bucket=bucket)
    async with running(settings, hub) as slack:
        await slack.post(mention_body("this", "Ev0100"), form=False)
        await slack_api.wait_for("chat.postEphemeral")
    async with running(settings, hub) as slack:
        retry = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
        answer = await slack.post(mention_body("this", "Ev0100"), form=False, headers=retry)
        assert answer.status_code == 200
        await slack.post(mention_body("this", "Ev0101"), form=False)  # a new event is answered
        await slack_api.wait_for("chat.postEphemeral", 2)
        await asyncio.sleep(0.3)
    assert len(slack_api.of("chat.postEphemeral")) == 2


async def test_mention_reads_its_own_text_with_names_in_its_thread(
    slack: RunningAdapter, slack_api: MockSlack, whisper: Any
):
    slack_api.names["U7"] = "Maria"
    spoken = "Good morning Maria, lunch is ready."
    await slack.post(mention_body("Good morning <@U7>, lunch is ready.", "Ev0002"), form=False)
    [complete] = await slack_api.wait_for("files.completeUploadExternal")
    assert complete.params["thread_ts"] == "1700000100.000200"  # the mention starts a thread
    assert [call.params["user"] for call in slack_api.of("users.info")] == ["U7"]
    [file] = json.loads(complete.params["files"])
    assert file["title"] == spoken, "the bot's mention stripped, the user's name looked up"
    [audio] = slack_api.uploads.values()
    assert_speech_file(audio, spoken, whisper)


async def test_this_outside_a_thread_is_an_ephemeral_hint(
    slack: RunningAdapter, slack_api: MockSlack
):
    await slack.post(mention_body("this", "Ev0003"), form=False)
    [note] = await slack_api.wait_for("chat.postEphemeral")
    assert note.params["user"] == "U1" and note.params["channel"] == "C1"
    assert note.params["text"] == messages.THIS_WITHOUT_THREAD
    assert not slack_api.of("chat.postMessage") and not slack_api.uploads


async def test_read_aloud_posts_the_message_in_its_thread(
    slack: RunningAdapter, slack_api: MockSlack, whisper: Any
):
    message = {"ts": "1700000200.000300", "text": "Rain began to tap gently against the glass."}
    answer = await slack.post(shortcut_body(message, slack_api))
    assert answer.status_code == 200
    [complete] = await slack_api.wait_for("files.completeUploadExternal")
    assert complete.params["thread_ts"] == message["ts"]
    [audio] = slack_api.uploads.values()
    assert_speech_file(audio, message["text"], whisper)


async def test_read_aloud_of_a_message_without_words_is_an_ephemeral_note(
    slack: RunningAdapter, slack_api: MockSlack
):
    await slack.post(shortcut_body({"ts": "1700000300.000400", "text": ""}, slack_api))
    [note] = await slack_api.wait_for("chat.postEphemeral")
    assert note.params["text"] == messages.NO_WORDS
    assert note.params["thread_ts"] == "1700000300.000400"
    assert not slack_api.uploads


async def test_a_users_voice_survives_a_restart(slack_api: MockSlack, hub: HubClient, bucket: str):
    settings = settings_for(slack_api, voice_bucket=bucket)
    async with running(settings, hub) as slack:
        assert "`the default`" in await answer_of(slack, slack_api, "/voice", "")
        assert "`nobody`" in await answer_of(slack, slack_api, "/voice", "nobody")
        chosen = await answer_of(slack, slack_api, "/voice", DEFAULT_VOICE)
        assert chosen == f"Your voice is now `{DEFAULT_VOICE}`."
    async with running(settings, hub) as slack:
        assert f"`{DEFAULT_VOICE}`" in await answer_of(slack, slack_api, "/voice", "")
        other_user = await answer_of(slack, slack_api, "/voice", "", user_id="U2")
        assert "`the default`" in other_user


async def test_say_speaks_with_the_saved_voice_after_a_restart(
    slack_api: MockSlack, hub: HubClient, bucket: str, whisper: Any
):
    """With a default voice no engine has, only a saved voice makes /say speak."""
    settings = settings_for(slack_api, voice_bucket=bucket, default_voice="nobody")
    text = "The morning train left the station right on time."
    async with running(settings, hub) as slack:
        chosen = await answer_of(slack, slack_api, "/voice", DEFAULT_VOICE)
        assert chosen == f"Your voice is now `{DEFAULT_VOICE}`."
    async with running(settings, hub) as slack:
        said = await slack.post(command_body("/say", text, slack_api))
        assert said.json()["text"] == messages.SPEAKING
        await slack_api.wait_for("files.completeUploadExternal")
        [audio] = slack_api.uploads.values()
        assert_speech_file(audio, text, whisper)
        notes = len(slack_api.responses)
        unsaved = await slack.post(command_body("/say", text, slack_api, user_id="U2"))
        assert unsaved.json()["text"] == messages.SPEAKING
        note = (await slack_api.wait_for_response(notes + 1))[notes]
        assert note["response_type"] == "ephemeral" and "`nobody`" in note["text"]
    assert len(slack_api.of("files.completeUploadExternal")) == 1, "no upload for U2"


async def test_voice_acks_before_looking_for_a_voice_with_no_engine(
    slack_api: MockSlack, private_bus: PrivateBus
):
    """With no engine on the bus the lookup waits ``discovery_wait`` (3 s, Slack's limit
    for the ack): the ack comes first and at once, the answer after it on the response_url."""
    hub = await private_bus.client()
    async with running(settings_for(slack_api), hub) as slack:
        started = time.perf_counter()
        ack = await slack.post(command_body("/voice", DEFAULT_VOICE, slack_api))
        ack_seconds = time.perf_counter() - started
        assert ack.status_code == 200 and not ack.content, ack.text
        assert not slack_api.responses, "acked before the lookup ended"
        assert ack_seconds < ACK_SECONDS, ack_seconds
        [note] = await slack_api.wait_for_response()
        assert note["response_type"] == "ephemeral" and note["text"] == messages.BUSY
