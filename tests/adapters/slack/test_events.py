"""Mentions, retries, "this" in a thread, the Read aloud shortcut, and voices kept in KV."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from adapters.slack import messages
from hub.audio import decode_to_pcm
from hub.client import HubClient
from tests.adapters.slack.mock_slack import MockSlack
from tests.adapters.slack.support import (
    RunningAdapter,
    command_body,
    mention_body,
    running,
    settings_for,
    shortcut_body,
)
from tests.conftest import DEFAULT_VOICE
from tests.helpers import assert_is_speech, story

PARENT = story(3)
THREAD_TS = "1700000000.000100"


def assert_speech_file(audio: bytes, text: str, whisper: Any) -> None:
    pcm, rate, _ = decode_to_pcm(audio, "mp3")
    assert_is_speech(pcm, rate, text, whisper)


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
        before = await slack.post(command_body("/voice", "", slack_api))
        assert "`the default`" in before.json()["text"]
        unknown = await slack.post(command_body("/voice", "nobody", slack_api))
        assert "`nobody`" in unknown.json()["text"]
        chosen = await slack.post(command_body("/voice", DEFAULT_VOICE, slack_api))
        assert chosen.json()["text"] == f"Your voice is now `{DEFAULT_VOICE}`."
    async with running(settings, hub) as slack:
        after = await slack.post(command_body("/voice", "", slack_api))
        assert f"`{DEFAULT_VOICE}`" in after.json()["text"]
        other_user = await slack.post(command_body("/voice", "", slack_api, user_id="U2"))
        assert "`the default`" in other_user.json()["text"]
