"""``say`` into a live call: plain says queue and play in order; ``"interrupt": true`` (over
HTTP or the bus) replaces what is playing: ``clear``, the old synthesis cancelled, then only
the new text."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx2
from nats.aio.client import Client

from adapters.twilio.app import TwilioAdapter
from hub.client import HubClient
from tests.adapters.twilio.support import (
    BusWatch,
    FakeTwilio,
    Received,
    mulaw_to_pcm,
    new_token,
    wait_engine_idle,
)
from tests.conftest import EngineProcess
from tests.helpers import STORY, assert_is_speech

LONG = " ".join(STORY * 3)  # long enough that the engine is still making it at the interrupt
FIRST = "The kettle is boiling in the kitchen."
SECOND = "Your taxi is waiting outside."


def http(port: int) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}")


def audio(items: list[Received]) -> bytes:
    media = [r for r in items if r.message["event"] == "media"]
    return mulaw_to_pcm(b"".join(base64.b64decode(r.message["media"]["payload"]) for r in media))


def marks(items: list[Received]) -> list[str]:
    return [r.message["mark"]["name"] for r in items if r.message["event"] == "mark"]


def asked_after(requests: BusWatch, moment: float) -> list[str]:
    """The texts whose synthesis was asked for on the bus after ``moment``."""
    texts = []
    for at, _, data in requests.messages:
        try:
            text = json.loads(data).get("text", "").strip()
        except (ValueError, AttributeError):
            continue
        if at > moment and text:
            texts.append(text)
    return texts


def requested_at(requests: BusWatch, text: str) -> float:
    """When the synthesis of ``text`` was first asked for on the bus."""
    for at, _, data in requests.messages:
        try:
            if json.loads(data).get("text", "").strip() == text:
                return at
        except (ValueError, AttributeError):
            continue
    raise AssertionError(f"{text!r} was never asked for on the bus")


async def test_two_plain_says_play_in_order(twilio_server: TwilioAdapter, whisper: Any) -> None:
    async with FakeTwilio(twilio_server.port) as twilio, http(twilio_server.port) as client:
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)
        begin = len(twilio.received)
        route = f"/twilio/calls/{twilio.call_sid}/say"
        for text in (FIRST, SECOND):
            response = await client.post(route, json={"text": text})
            assert response.status_code == 200, response.text
        await twilio.wait_marks_heard(4)
        after = twilio.received[begin:]
        assert marks(after) == ["u2-s1", "u3-s1"] and twilio.echoed[2:] == ["u2-s1", "u3-s1"]
        assert not twilio.events("clear")
        assert_is_speech(audio(after), 8000, f"{FIRST} {SECOND}", whisper)


async def test_an_interrupting_say_replaces_what_is_playing(
    twilio_server: TwilioAdapter,
    nc: Client,
    hub: HubClient,
    piper_engine: EngineProcess,
    whisper: Any,
) -> None:
    instance = piper_engine.instance()
    cancels, events, requests = BusWatch(), BusWatch(), BusWatch()
    await nc.subscribe("voicebus.cancel.*", cb=cancels.handler)
    await nc.subscribe("voicebus.synth.*", cb=requests.handler)
    await nc.subscribe("voicebus.ready.*", cb=requests.handler)
    async with FakeTwilio(twilio_server.port) as twilio, http(twilio_server.port) as client:
        await nc.subscribe(f"voicebus.calls.{twilio.call_sid}.events", cb=events.handler)
        await nc.flush()  # the server has our subscriptions before the call starts
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)
        call = twilio_server.context.calls[twilio.call_sid]

        async def over_http(text: str) -> None:
            body = {"text": text, "interrupt": True}
            response = await client.post(f"/twilio/calls/{twilio.call_sid}/say", json=body)
            assert response.status_code == 200, response.text

        async def over_the_bus(text: str) -> None:
            body = json.dumps({"text": text, "interrupt": True}).encode()
            reply = await nc.request(f"voicebus.calls.{twilio.call_sid}.say", body, timeout=5)
            assert json.loads(reply.data) == {"ok": True}

        for number, (send, text) in enumerate([(over_http, FIRST), (over_the_bus, SECOND)]):
            long_number, new_number = 2 + 2 * number, 3 + 2 * number
            await call.say(LONG)
            count = len(twilio.events("media"))
            await twilio.wait_for(lambda c=count: len(twilio.events("media")) > c + 25)
            clears, cancelled = len(twilio.events("clear")), len(cancels.messages)
            await send(text)
            await twilio.wait_for(lambda c=clears: len(twilio.events("clear")) > c, 5)
            clear = twilio.events("clear")[clears]
            new_mark = f"u{new_number}-s1"
            await twilio.wait_for(lambda m=new_mark: m in twilio.echoed)
            after = twilio.received[twilio.received.index(clear) + 1 :]
            # Nothing of the long text after the clear: no media before the new text was
            # even asked for, no mark of it, and the audio is the new text alone.
            asked = requested_at(requests, text)
            assert not [r for r in after if r.message["event"] == "media" and r.at < asked]
            assert marks(after) == [new_mark], marks(after)
            assert not [name for name in call.playback.heard if name.startswith(f"u{long_number}-")]
            assert_is_speech(audio(after), 8000, text, whisper)
            assert len(cancels.messages) > cancelled, "the long text was not cancelled"
            # The engine let go of the long text: none of it was asked for after the clear,
            # and what was running then ended (cancelled, or done if it was only queued for
            # playback), so the worker is idle; nothing keeps making the old text.
            assert not [t for t in asked_after(requests, clear.at) if t in LONG], "asked on"
            await wait_engine_idle(hub, instance)
        reasons = [body["reason"] for body in events.json() if body["event"] == "barge-in"]
        assert reasons == ["say", "say"]
        assert not twilio.closed.is_set()
