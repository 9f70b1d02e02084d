"""Outbound calls: Calls.create against a local mock of Twilio's REST API, then the call's
stream played by the fake Twilio side; and the ``voicebus call`` command."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
import subprocess
import sys
from html import unescape
from typing import Any

import pytest

from adapters.twilio.app import TwilioAdapter
from adapters.twilio.outbound import OutboundError, place_call
from hub.client import HubClient
from tests.adapters.twilio.rest_mock import TwilioRestMock
from tests.adapters.twilio.support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FakeTwilio,
    caller_speech,
    twilio_settings,
)
from tests.helpers import assert_is_speech, free_port

TEXT = "Your parcel arrives tomorrow morning."


def parameters(twiml: str) -> dict[str, str]:
    pairs = re.findall(r'<Parameter name="([^"]+)" value="([^"]*)"', twiml)
    return {name: unescape(value) for name, value in pairs}


def outbound_settings(rest: TwilioRestMock, **overrides: Any) -> Any:
    return twilio_settings(api_base=rest.url, from_number="+15550009999", **overrides)


async def test_place_call_sends_connect_stream_twiml_and_auth() -> None:
    with TwilioRestMock() as rest:
        sid = await asyncio.to_thread(place_call, outbound_settings(rest), "+15551234567", TEXT)
    assert re.fullmatch(r"CA[0-9a-f]{32}", sid)
    [sent] = rest.requests
    assert sent.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert sent.authorization == f"Basic {expected}"
    assert sent.form["To"] == "+15551234567" and sent.form["From"] == "+15550009999"
    twiml = sent.form["Twiml"]
    assert '<Connect><Stream name="voicebus" url="wss://voice.example.com/twilio/media">' in twiml
    params = parameters(twiml)
    assert params["say"] == TEXT and params["hangup"] == "true" and params["token"]


async def test_the_outbound_call_speaks_the_text_then_hangs_up(
    twilio_server: TwilioAdapter, whisper: Any
) -> None:
    with TwilioRestMock() as rest:
        await asyncio.to_thread(place_call, outbound_settings(rest), "+15551234567", TEXT)
    params = parameters(rest.requests[0].form["Twiml"])
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start(params)
        await asyncio.wait_for(twilio.closed.wait(), 30)  # the adapter ended the call
        assert twilio.echoed == ["u1-s1"]
        assert_is_speech(twilio.pcm(), 8000, TEXT, whisper)


async def test_tampered_text_is_refused(twilio_server: TwilioAdapter) -> None:
    with TwilioRestMock() as rest:
        await asyncio.to_thread(place_call, outbound_settings(rest), "+15551234567", TEXT)
    params = {**parameters(rest.requests[0].form["Twiml"]), "say": "Send me your PIN."}
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start(params)
        await asyncio.wait_for(twilio.closed.wait(), 5)
        assert not twilio.events("media")


async def test_twilio_errors_and_missing_settings_are_clear() -> None:
    with TwilioRestMock(status=400) as rest:
        with pytest.raises(OutboundError, match="not a valid phone number"):
            await asyncio.to_thread(place_call, outbound_settings(rest), "+1", TEXT)
        with pytest.raises(OutboundError, match="from_number"):
            place_call(twilio_settings(api_base=rest.url), "+15551234567", TEXT)
        with pytest.raises(OutboundError, match="at most 450"):
            place_call(outbound_settings(rest), "+15551234567", "word " * 100)


async def test_unreachable_twilio_is_clear_and_no_secret_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = twilio_settings(api_base=f"http://127.0.0.1:{free_port()}", from_number="+1555")
    with pytest.raises(OutboundError, match="could not reach Twilio"):
        await asyncio.to_thread(place_call, settings, "+15551234567", TEXT)
    with TwilioRestMock() as rest:
        await asyncio.to_thread(place_call, outbound_settings(rest), "+15551234567", TEXT)
    assert "placed call CA" in caplog.text
    assert ACCOUNT_SID not in caplog.text and AUTH_TOKEN not in caplog.text


def cli_env(rest: TwilioRestMock, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "VOICEBUS_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "VOICEBUS_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "VOICEBUS_TWILIO_PUBLIC_URL": "https://voice.example.com",
        "VOICEBUS_TWILIO_FROM_NUMBER": "+15550009999",
        "VOICEBUS_TWILIO_API_BASE": rest.url,
        **extra,
    }


def voicebus_call(env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hub.cli", "call", "+15551234567", TEXT, *options]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_voicebus_call_command() -> None:
    with TwilioRestMock() as rest:
        env = cli_env(rest)
        done = voicebus_call(env, "--stay")
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(r"CA[0-9a-f]{32}\n", done.stdout)
        assert parameters(rest.requests[0].form["Twiml"])["hangup"] == "false"
        del env["VOICEBUS_TWILIO_FROM_NUMBER"]
        failed = voicebus_call(env, "--stay")
        assert failed.returncode != 0 and "from_number" in failed.stderr
        assert "Traceback" not in failed.stderr and AUTH_TOKEN not in failed.stderr


def test_voicebus_call_voice_and_barge_in_options() -> None:
    with TwilioRestMock() as rest:
        env = cli_env(rest, VOICEBUS_TWILIO_VOICE="voice-from-env")
        for options in [(), ("--voice", "voice-from-cli", "--no-barge-in"), ("--barge-in",)]:
            done = voicebus_call(env, *options)
            assert done.returncode == 0, done.stderr
    sent = [parameters(request.form["Twiml"]) for request in rest.requests]
    assert [(p["voice"], p["barge_in"]) for p in sent] == [
        ("voice-from-env", "true"),  # VOICEBUS_TWILIO_VOICE and the barge_in setting
        ("voice-from-cli", "false"),
        ("voice-from-env", "true"),
    ]
    with TwilioRestMock() as rest:
        done = voicebus_call(cli_env(rest, VOICEBUS_TWILIO_BARGE_IN="false"))
        assert done.returncode == 0, done.stderr
        assert parameters(rest.requests[0].form["Twiml"])["barge_in"] == "false"


@pytest.mark.parametrize("barge_in", [True, False])
async def test_an_outbound_call_with_barge_in_on_or_off(
    twilio_server: TwilioAdapter, hub: HubClient, barge_in: bool
) -> None:
    speech = await caller_speech(hub, "Hold on, stop talking please.")
    with TwilioRestMock() as rest:
        settings = outbound_settings(rest)
        await asyncio.to_thread(place_call, settings, "+15551234567", TEXT, barge_in=barge_in)
    params = parameters(rest.requests[0].form["Twiml"])
    assert params["barge_in"] == str(barge_in).lower()
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start(params)
        await twilio.wait_for(lambda: len(twilio.events("media")) > 10)
        await twilio.speak(speech[:15])
        await asyncio.wait_for(twilio.closed.wait(), 30)  # hung up once done either way
        if barge_in:
            assert twilio.events("clear") and not twilio.playback.pending_marks
        else:
            assert not twilio.events("clear")
            assert twilio.echoed == ["u1-s1"]  # the whole text played


async def test_an_outbound_call_that_cannot_speak_still_hangs_up(
    twilio_server: TwilioAdapter,
) -> None:
    with TwilioRestMock() as rest:
        settings = outbound_settings(rest)
        await asyncio.to_thread(place_call, settings, "+15551234567", TEXT, "no-such-voice")
    params = parameters(rest.requests[0].form["Twiml"])
    assert params["voice"] == "no-such-voice"
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start(params)
        await asyncio.wait_for(twilio.closed.wait(), 15)  # not left open, silent, forever
        assert not twilio.events("media")
