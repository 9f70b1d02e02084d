"""Barge-in: caller speech or ``*`` over a long ``say`` brings ``clear`` and a bus cancel."""

from __future__ import annotations

import asyncio
import json
import time

import httpx2
from nats.aio.client import Client

from adapters.twilio.app import TwilioAdapter
from hub.client import HubClient
from tests.adapters.twilio.support import (
    BusWatch,
    FakeTwilio,
    caller_speech,
    engine_cancelled,
    line_noise,
    new_token,
    wait_engine_cancelled,
)
from tests.conftest import EngineProcess
from tests.helpers import STORY, speech_seconds_range

LONG = " ".join(STORY * 2)


async def _call_saying_long_text(twilio_server: TwilioAdapter, twilio: FakeTwilio) -> int:
    """Start a call, let the greeting play, then ``say`` the long text; return the index of
    its first outbound message."""
    await twilio.start({"token": new_token()})
    await twilio.wait_marks_heard(2)
    call = twilio_server.context.calls[twilio.call_sid]
    begin = len(twilio.received)
    await call.say(LONG)
    await twilio.wait_for(lambda: len(twilio.events("media")) > 0 and len(twilio.received) > begin)
    return begin


def _marks_sent(twilio: FakeTwilio, prefix: str) -> list[str]:
    names = [r.message["mark"]["name"] for r in twilio.events("mark")]
    return [name for name in names if name.startswith(prefix)]


async def test_caller_speech_clears_and_stops_the_engine(
    twilio_server: TwilioAdapter, hub: HubClient, nc: Client, piper_engine: EngineProcess
) -> None:
    instance = piper_engine.instance()
    speech = await caller_speech(hub, "Hold on, stop talking please.")
    cancels, events = BusWatch(), BusWatch()
    await nc.subscribe("voicebus.cancel.*", cb=cancels.handler)
    await nc.flush()  # the server has our subscription before the call starts
    async with FakeTwilio(twilio_server.port) as twilio:
        await nc.subscribe(f"voicebus.calls.{twilio.call_sid}.events", cb=events.handler)
        await nc.flush()  # the server has our subscription before the call starts
        before = await engine_cancelled(hub, instance)  # before the say: asking takes time
        begin = await _call_saying_long_text(twilio_server, twilio)
        call = twilio_server.context.calls[twilio.call_sid]
        # Barge in while Twilio still plays the long text's first sentence, whose mark is
        # already sent: the clear must make Twilio echo it, and it must not count as heard.
        await twilio.wait_for(lambda: bool(_marks_sent(twilio, "u2-")))
        first_speech = await twilio.speak(speech[:10])
        await twilio.wait_for(lambda: bool(twilio.events("clear")), 5)
        clear = twilio.events("clear")[0]
        assert clear.at - first_speech < 0.3, "clear came too late"
        await asyncio.sleep(0.5)  # anything still coming would arrive now
        after = [r for r in twilio.received if r.at > clear.at]
        assert not [r for r in after if r.message["event"] in ("media", "mark")]
        assert cancels.messages, "the synthesis was not cancelled on the bus"
        assert all(at >= clear.at - 0.05 for at, _, _ in cancels.messages)
        assert "barge-in" in events.kinds()
        # Marks echoed by the clear were not heard; the greeting's marks were.
        heard = [body["name"] for body in events.json() if body["event"] == "mark"]
        assert heard == ["u1-s1", "u1-s2"]
        assert "u2-s1" in twilio.echoed, "no mark of the long text was pending at the clear"
        assert call.playback.heard == ["u1-s1", "u1-s2"] and call.describe()["heard"] == 2
        await wait_engine_cancelled(hub, instance, before)  # the engine really stopped
        # The engine stopped early: far less than the whole text was ever sent.
        sent = [r for r in twilio.received[begin:] if r.message["event"] == "media"]
        assert len(sent) * 0.02 < 0.5 * speech_seconds_range(LONG)[0]
        assert not twilio.closed.is_set()


async def test_line_noise_does_not_barge_in_but_star_does(
    twilio_server: TwilioAdapter, nc: Client
) -> None:
    events = BusWatch()
    async with FakeTwilio(twilio_server.port) as twilio:
        await nc.subscribe(f"voicebus.calls.{twilio.call_sid}.events", cb=events.handler)
        await nc.flush()  # the server has our subscription before the call starts
        await _call_saying_long_text(twilio_server, twilio)
        await twilio.speak(line_noise(40))
        assert not twilio.events("clear"), "line noise triggered barge-in"
        pressed = time.monotonic()
        await twilio.dtmf("*")
        await twilio.wait_for(lambda: bool(twilio.events("clear")), 5)
        assert twilio.events("clear")[0].at - pressed < 0.2
        await asyncio.sleep(0.1)
        assert {"dtmf", "barge-in"} <= set(events.kinds())


async def test_barge_in_can_be_off_for_a_call(twilio_server: TwilioAdapter, hub: HubClient) -> None:
    speech = await caller_speech(hub, "Hold on, stop talking please.")
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start({"token": new_token(), "barge_in": "false"})
        await twilio.wait_for(lambda: bool(twilio.events("media")))
        await twilio.speak(speech[:15])
        await twilio.dtmf("*")
        await twilio.wait_marks_heard(2)
        assert not twilio.events("clear")


async def test_a_say_turns_barge_in_off_and_on_for_its_call(
    twilio_server: TwilioAdapter, hub: HubClient, nc: Client
) -> None:
    speech = await caller_speech(hub, "Hold on, stop talking please.")
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)
        call = twilio_server.context.calls[twilio.call_sid]
        assert call.describe()["barge_in"] is True
        subject = f"voicebus.calls.{twilio.call_sid}.say"
        body = json.dumps({"text": LONG, "barge_in": False}).encode()
        assert json.loads((await nc.request(subject, body, timeout=5)).data) == {"ok": True}
        count = len(twilio.events("media"))
        await twilio.wait_for(lambda: len(twilio.events("media")) > count + 10)
        await twilio.speak(speech[:15])
        await twilio.dtmf("*")
        await asyncio.sleep(0.2)
        assert not twilio.events("clear") and call.speaking
        assert call.describe()["barge_in"] is False
        # The next say turns it on again (over HTTP this time): * now interrupts.
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{twilio_server.port}") as client:
            body = {"text": "One more thing.", "barge_in": True}
            response = await client.post(f"/twilio/calls/{twilio.call_sid}/say", json=body)
            assert response.status_code == 200 and response.json()["call"]["barge_in"] is True
        await twilio.dtmf("*")
        await twilio.wait_for(lambda: bool(twilio.events("clear")), 5)
