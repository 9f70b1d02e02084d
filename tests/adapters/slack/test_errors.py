"""What a user reads when speech cannot be made or posted: an ephemeral note that says what
to do (engines down, an upload that failed, a scope the app lacks), never a traceback."""

from __future__ import annotations

import logging

import pytest

from adapters.slack import messages
from tests.adapters.slack.mock_slack import MockSlack
from tests.adapters.slack.support import (
    RunningAdapter,
    command_body,
    mention_body,
    running,
    settings_for,
)
from tests.conftest import DEFAULT_VOICE, PrivateBus

THREAD_TS = "1700000000.000100"


async def test_a_stopped_engine_is_the_busy_note(slack_api: MockSlack, private_bus: PrivateBus):
    engine = private_bus.engine()
    hub = await private_bus.client(voice=DEFAULT_VOICE)
    engine.stop()
    async with running(settings_for(slack_api), hub) as slack:
        said = await slack.post(command_body("/say", "Is anyone there?", slack_api))
        assert said.json()["text"] == messages.SPEAKING
        [note] = await slack_api.wait_for_response()
    assert note == {"text": messages.BUSY, "response_type": "ephemeral", "replace_original": False}
    assert not slack_api.of("files.getUploadURLExternal")


async def test_an_unexpected_failure_is_the_generic_note(
    slack: RunningAdapter, slack_api: MockSlack, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.ERROR, logger="adapters.slack")
    slack_api.failing_uploads = True  # the upload URL answers 500: not a Slack API error
    await slack.post(command_body("/say", "This upload will fail.", slack_api))
    [note] = await slack_api.wait_for_response()
    assert note["text"] == messages.FAILED and note["response_type"] == "ephemeral"
    assert "Traceback" in caplog.text, "the log says why; the user does not see it"
    assert "Traceback" not in note["text"]


async def test_markup_with_no_words_left_is_a_note(slack: RunningAdapter, slack_api: MockSlack):
    said = await slack.post(command_body("/say", "&amp;&amp; &gt;", slack_api))
    assert said.json()["text"] == messages.SPEAKING
    [note] = await slack_api.wait_for_response()
    assert note["text"] == messages.NO_WORDS
    assert not slack_api.of("files.getUploadURLExternal")


async def test_a_missing_scope_names_the_scope_to_add(slack: RunningAdapter, slack_api: MockSlack):
    slack_api.errors["conversations.replies"] = "missing_scope"
    await slack.post(mention_body("this", "EvScope1", thread_ts=THREAD_TS), form=False)
    [note] = await slack_api.wait_for("chat.postEphemeral")
    text = note.params["text"]
    assert "`channels:history`" in text and "`groups:history`" in text, text
    assert "OAuth & Permissions" in text and "reinstall" in text
    assert note.params["thread_ts"] == THREAD_TS and note.params["user"] == "U1"
    assert not slack_api.uploads
