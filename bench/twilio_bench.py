"""The Twilio adapter on a phone line: how soon the caller hears it, how fast barge-in is,
and whether playback ever runs dry. Side by side with Piper in this process.

Run it (about a minute; it starts its own nats-server and one engine worker)::

    .venv/bin/python bench/twilio_bench.py [--reps 7]

A fake Twilio side (tests/adapters/twilio/support.py: a real WebSocket client speaking Media
Streams, playing what it gets at 8000 bytes a second) calls an in-process adapter.

1. First audio: ``start`` to the first outbound frame, against ``PiperVoice.synthesize``'s
   first chunk for the greeting's first sentence (2 threads each). Target: at most 1.3x.
   Also shown: the hub client's own first frame for the same text (the adapter's share is
   the difference; the hub sends both sentences at once, so they share the worker).
2. Barge-in: caller speech (real speech frames from the hub, sent every 20 ms) over a long
   ``say``: first frame of speech to ``clear`` on the socket (target under 150 ms), and to the
   engine stopping, against Piper's time for one sentence (target: under one). "Stopping" is
   the worker's last ``cancelled`` error reply for the interrupted sentences: it sends that
   only once its engine thread has returned (the cancel publish is shown too, for reference).
3. No gaps: a 10-sentence ``say`` played at real time: the longest stall of the player
   (target: 0 ms) and how far ahead of playback the audio stayed at its lowest.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nats
from common import (
    BenchStack,
    load_piper,
    machine_note,
    median,
    ms,
    paragraph,
    print_table,
    ratio,
    time_piper,
    verdict,
    wait_for_workers,
)
from nats.aio.client import Client
from nats.aio.msg import Msg

from adapters.twilio.call import PHONE_AUDIO
from hub.client import ClientSettings, HubClient
from hub.contract.schemas import KIND_HEADER, ErrorCode, MessageKind
from tests.adapters.twilio.support import (
    BusWatch,
    FakeTwilio,
    caller_speech,
    new_token,
    running_adapter,
    twilio_settings,
)

GREETING = "Thanks for calling the clinic. How can I help you today?"
FIRST_SENTENCE = "Thanks for calling the clinic."


async def first_frame(port: int) -> float:
    async with FakeTwilio(port) as twilio:
        await twilio.start({"token": new_token()})
        await twilio.wait_for(lambda: bool(twilio.events("media")))
        return twilio.events("media")[0].at - twilio.started_at


async def hub_first_frame(hub: HubClient) -> float:
    """The same greeting straight from the hub client, in the same format: the adapter's
    own share of the first-frame time is the difference."""
    began = time.monotonic()
    stream = await hub.open(GREETING, output=PHONE_AUDIO)
    async with stream:
        async for _ in stream:
            return time.monotonic() - began
    return float("nan")


class EngineStops:
    """The workers' ``cancelled`` error replies (to the hub client's inboxes), as they come:
    each is sent after that job's engine thread stopped."""

    def __init__(self) -> None:
        self.at: list[float] = []

    async def handler(self, msg: Msg) -> None:
        if (msg.headers or {}).get(KIND_HEADER) != MessageKind.ERROR.value:
            return
        with contextlib.suppress(ValueError):
            if json.loads(msg.data).get("code") == ErrorCode.CANCELLED.value:
                self.at.append(time.monotonic())


async def barge_in(port: int, adapter: object, speech: list[bytes], nc: Client) -> tuple:
    """Speech over a long ``say``: seconds from its first frame to ``clear``, to the last bus
    cancel, and to the engine stopping."""
    cancels, stops = BusWatch(), EngineStops()
    subs = [
        await nc.subscribe("voicebus.cancel.*", cb=cancels.handler),
        await nc.subscribe("_INBOX.>", cb=stops.handler),
    ]
    await nc.flush()
    async with FakeTwilio(port) as twilio:
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)
        await adapter.context.calls[twilio.call_sid].say(paragraph(10, 10))  # type: ignore[attr-defined]
        count = len(twilio.events("media"))
        await twilio.wait_for(lambda: len(twilio.events("media")) > count + 25)
        spoke = await twilio.speak(speech[:8])
        await twilio.wait_for(lambda: bool(twilio.events("clear")), 5)
        await asyncio.sleep(0.5)
        clear = twilio.events("clear")[0].at
        last_cancel = max((at for at, _, _ in cancels.messages), default=float("nan"))
        # The engine stops between its chunks: wait for its reply, then for any later one.
        await twilio.wait_for(lambda: any(at > spoke for at in stops.at), 10)
        await asyncio.sleep(0.3)
        stopped = max(at for at in stops.at if at > spoke)
    for sub in subs:
        await sub.unsubscribe()
    return clear - spoke, last_cancel - spoke, stopped - spoke


async def no_gaps(port: int, adapter: object) -> tuple[float, float, float]:
    async with FakeTwilio(port) as twilio:
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)
        twilio.playback.gaps.clear()
        twilio.playback.ends_at = 0.0  # the pause before the new utterance is no stall
        begin = len(twilio.received)
        await adapter.context.calls[twilio.call_sid].say(paragraph(10))  # type: ignore[attr-defined]
        await twilio.wait_marks_heard(12, timeout=120)
        media = [r for r in twilio.received[begin:] if r.message["event"] == "media"]
        # How long before its turn to play each frame arrived (playback starts on the first),
        # past the first half second (whose frames come together with the first).
        lead = min(media[0].at + i * 0.02 - item.at for i, item in enumerate(media) if i >= 25)
        sent_for = media[-1].at - media[0].at
        return max(twilio.playback.gaps, default=0.0), lead, len(media) * 0.02 / sent_for


async def main(reps: int) -> None:
    print(machine_note())
    with BenchStack() as stack:
        stack.start_worker(threads=2)
        hub = await HubClient.connect(ClientSettings(nats_url=stack.url), "twilio-bench")
        await wait_for_workers(hub, 1)
        nc = await nats.connect(stack.url)
        piper = load_piper(2)
        settings = twilio_settings(greeting=GREETING)
        async with running_adapter(settings, hub) as adapter:
            speech = await caller_speech(hub, "Wait, wait, I have a question for you.")
            await first_frame(adapter.port)  # warm-up
            time_piper(piper, FIRST_SENTENCE)
            ours, theirs, clears, cancels, stops, sentence, direct = [], [], [], [], [], [], []
            for _ in range(reps):
                # Each run leaves its second sentence to finish (or cancel) in the worker:
                # let it go idle before the next measurement.
                await asyncio.sleep(0.5)
                ours.append(await first_frame(adapter.port))
                theirs.append(time_piper(piper, FIRST_SENTENCE).first)
                await asyncio.sleep(0.5)
                direct.append(await hub_first_frame(hub))
            for _ in range(reps):
                clear, cancel, stop = await barge_in(adapter.port, adapter, speech, nc)
                clears.append(clear)
                cancels.append(cancel)
                stops.append(stop)
                sentence.append(time_piper(piper, paragraph(1, 10)).total)
            gap, lead, speed = await no_gaps(adapter.port, adapter)
        await nc.close()
        await hub.close()
    first_ratio = median(ours) / median(theirs)
    print_table(
        ["measure", "voicebus twilio", "reference", "ratio / target"],
        [
            ["start -> first frame", ms(median(ours)), ms(median(theirs)) + " piper 1st",
             f"{ratio(first_ratio)} <= 1.30x {verdict(first_ratio <= 1.3)}"],
            ["hub client alone, same text", ms(median(direct)), "",
             ratio(median(direct) / median(theirs))],
            ["speech -> clear", ms(median(clears)), "",
             f"< 150 ms {verdict(median(clears) < 0.15)}"],
            ["speech -> bus cancel", ms(median(cancels)), "", ""],
            ["speech -> engine stopped", ms(median(stops)), ms(median(sentence)) + " 1 sentence",
             f"< 1 sentence {verdict(median(stops) < median(sentence))}"],
            ["longest playback stall", ms(gap), "", f"0 ms {verdict(gap == 0)}"],
            ["lowest lead over playback", ms(lead), "", f"> 0 ms {verdict(lead > 0)}"],
            ["send speed", f"{speed:.1f}x real time", "", ""],
        ],
    )  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    asyncio.run(main(parser.parse_args().reps))
