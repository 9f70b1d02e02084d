"""Live control of a call: ``say`` and ``hangup`` over HTTP and the bus, the call list,
API keys, and a hang-up (any of them, or Twilio's ``stop``) cancelling the synthesis."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx2
import pytest
from nats.aio.client import Client

from adapters.twilio.app import TwilioAdapter
from hub.client import HubClient
from tests.adapters.twilio.support import (
    BusWatch,
    FakeTwilio,
    engine_cancelled,
    mulaw_to_pcm,
    new_token,
    running_adapter,
    twilio_settings,
    wait_engine_cancelled,
)
from tests.conftest import EngineProcess
from tests.helpers import STORY, assert_is_speech

LONG = " ".join(STORY * 3)  # still being made when the call is hung up


def http(port: int, **headers: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers)


def audio_after(twilio: FakeTwilio, begin: int) -> bytes:
    frames = [r for r in twilio.received[begin:] if r.message["event"] == "media"]
    return mulaw_to_pcm(b"".join(base64.b64decode(r.message["media"]["payload"]) for r in frames))


async def test_say_over_http_and_the_bus_reaches_the_live_call(
    twilio_server: TwilioAdapter, nc: Client, whisper: Any
) -> None:
    events = BusWatch()
    async with FakeTwilio(twilio_server.port) as twilio, http(twilio_server.port) as client:
        await nc.subscribe(f"voicebus.calls.{twilio.call_sid}.events", cb=events.handler)
        await nc.flush()  # the server has our subscription before the call starts
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)
        listed = (await client.get("/twilio/calls")).json()["calls"]
        assert [c["call_sid"] for c in listed] == [twilio.call_sid]

        begin = len(twilio.received)
        text = "The kettle is boiling in the kitchen."
        response = await client.post(f"/twilio/calls/{twilio.call_sid}/say", json={"text": text})
        assert response.status_code == 200, response.text
        await twilio.wait_marks_heard(3)
        assert_is_speech(audio_after(twilio, begin), 8000, text, whisper)

        begin = len(twilio.received)
        text = "Your taxi is waiting outside."
        subject = f"voicebus.calls.{twilio.call_sid}.say"
        reply = await nc.request(subject, json.dumps({"text": text}).encode(), timeout=5)
        assert json.loads(reply.data) == {"ok": True}
        await twilio.wait_marks_heard(4)
        assert_is_speech(audio_after(twilio, begin), 8000, text, whisper)

        bad = await nc.request(subject, b"{not json", timeout=5)
        assert "bad say request" in json.loads(bad.data)["error"]["message"]
        assert not twilio.closed.is_set()
        await asyncio.sleep(0.1)
        kinds = events.kinds()
        assert kinds[0] == "started" and kinds.count("mark") == 4


async def test_control_errors_are_clear(twilio_server: TwilioAdapter, nc: Client) -> None:
    async with http(twilio_server.port) as client:
        missing = await client.post("/twilio/calls/CAnobody/say", json={"text": "hi"})
        assert missing.status_code == 404
        assert missing.json() == {"error": {"message": "no live call CAnobody"}}
        empty = await client.post("/twilio/calls/CAnobody/say", json={"text": ""})
        assert empty.status_code == 400 and "text" in empty.json()["error"]["message"]
    reply = await nc.request("voicebus.calls.CAnobody.hangup", b"", timeout=5)
    assert json.loads(reply.data)["error"]["message"] == "no live call CAnobody"


async def test_api_keys_guard_the_control_routes(hub: HubClient) -> None:
    settings = twilio_settings(api_keys="k-one,k-two")
    async with running_adapter(settings, hub) as adapter, http(adapter.port) as client:
        assert (await client.get("/twilio/calls")).status_code == 401
        wrong = await client.get("/twilio/calls", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await client.get("/twilio/calls", headers={"Authorization": "Bearer k-two"})
        assert right.status_code == 200 and right.json() == {"calls": []}


@pytest.mark.parametrize("how", ["http", "bus", "stop", "socket"])
async def test_a_hang_up_mid_speech_stops_the_engine(
    twilio_server: TwilioAdapter,
    nc: Client,
    hub: HubClient,
    piper_engine: EngineProcess,
    how: str,
) -> None:
    instance = piper_engine.instance()
    cancels, events = BusWatch(), BusWatch()
    await nc.subscribe("voicebus.cancel.*", cb=cancels.handler)
    await nc.flush()  # the server has our subscription before the call starts
    async with FakeTwilio(twilio_server.port) as twilio, http(twilio_server.port) as client:
        await nc.subscribe(f"voicebus.calls.{twilio.call_sid}.events", cb=events.handler)
        await nc.flush()  # the server has our subscription before the call starts
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)
        # Counted before the say: asking takes up to a second, in which a short text ends.
        before = await engine_cancelled(hub, instance)
        await twilio_server.context.calls[twilio.call_sid].say(LONG)
        count = len(twilio.events("media"))
        await twilio.wait_for(lambda: len(twilio.events("media")) > count)
        if how == "http":
            assert (await client.post(f"/twilio/calls/{twilio.call_sid}/hangup")).status_code == 200
        elif how == "bus":
            await nc.request(f"voicebus.calls.{twilio.call_sid}.hangup", b"", timeout=5)
        elif how == "stop":
            await twilio.stop()
        else:
            await twilio.hang_up()
        await asyncio.wait_for(twilio.closed.wait(), 5)
        await twilio.wait_for(lambda: "stopped" in events.kinds(), 5)
        assert cancels.messages, "the engine was not told to stop"
        await wait_engine_cancelled(hub, instance, before)  # and it did stop
        assert twilio.call_sid not in twilio_server.context.calls
        assert events.json()[-1]["heard"] == ["u1-s1", "u1-s2"]


async def test_the_voice_setting_takes_effect(
    hub: HubClient, nc: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """VOICEBUS_TWILIO_VOICE is the voice of the calls: set to a voice no engine has, the
    greeting is an error event naming it (with the default voice it is spoken)."""
    monkeypatch.setenv("VOICEBUS_TWILIO_VOICE", "voice-from-env")
    events = BusWatch()
    async with running_adapter(twilio_settings(), hub) as adapter:
        assert adapter.settings.voice == "voice-from-env"
        async with FakeTwilio(adapter.port) as twilio:
            await nc.subscribe(f"voicebus.calls.{twilio.call_sid}.events", cb=events.handler)
            await nc.flush()  # the server has our subscription before the call starts
            await twilio.start({"token": new_token()})
            await twilio.wait_for(lambda: "error" in events.kinds(), 10)
            assert not twilio.events("media")
    [error] = [event for event in events.json() if event["event"] == "error"]
    assert "voice-from-env" in error["message"]


async def test_a_voice_that_does_not_exist_is_an_error_event_not_the_end(
    twilio_server: TwilioAdapter, nc: Client
) -> None:
    events = BusWatch()
    async with FakeTwilio(twilio_server.port) as twilio, http(twilio_server.port) as client:
        await nc.subscribe(f"voicebus.calls.{twilio.call_sid}.events", cb=events.handler)
        await nc.flush()  # the server has our subscription before the call starts
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)
        body = {"text": "Hello there.", "voice": "no-such-voice"}
        await client.post(f"/twilio/calls/{twilio.call_sid}/say", json=body)
        await twilio.wait_for(lambda: "error" in events.kinds(), 10)
        [error] = [event for event in events.json() if event["event"] == "error"]
        assert "no-such-voice" in error["message"] and "Traceback" not in error["message"]
        await client.post(f"/twilio/calls/{twilio.call_sid}/say", json={"text": "Still here."})
        await twilio.wait_marks_heard(3)
        assert not twilio.closed.is_set()
