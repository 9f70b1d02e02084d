"""Work goes to a worker with a free slot; queued work moves to a worker that becomes idle;
workers serve by (priority class, priority). Real Piper workers on a private bus."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from nats.aio.subscription import Subscription

from hub.client import HubClient
from hub.client.stream import SynthesisStream
from hub.contract.schemas import (
    KIND_HEADER,
    HandBack,
    MessageKind,
    PriorityClass,
    SynthesisRequest,
)
from tests.conftest import DEFAULT_VOICE, PrivateBus
from tests.helpers import STORY, assert_is_speech, collect, story

ONE_SLOT = {"VOICEBUS_THREADS": "1", "VOICEBUS_CONCURRENCY": "1"}
Events = list[tuple[object, int]]
"""(who, sentence index) in the order each sentence's audio first arrived."""


async def test_twenty_sentences_split_evenly_over_two_workers(private_bus: PrivateBus) -> None:
    first = private_bus.engine(**ONE_SLOT)
    second = private_bus.engine(**ONE_SLOT)
    client = await private_bus.client(DEFAULT_VOICE, max_in_flight=4)
    assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 2, 10)
    text = story(20)
    stream = await client.open(text, DEFAULT_VOICE)
    assert_is_speech(await collect(stream), stream.sample_rate, text)
    split = Counter(stream.served_by)
    assert stream.sentences_done == 20
    assert split[first.instance()] >= 8 and split[second.instance()] >= 8, split


async def test_queued_sentences_move_to_a_worker_that_joins(private_bus: PrivateBus) -> None:
    """Sentences queued at a busy worker before a second one existed are handed over to it
    (the newcomer says it is idle; the busy worker hands one back; the client re-sends)."""
    private_bus.engine(**ONE_SLOT)
    # A backlog long enough to outlast the second worker's start on a loaded machine.
    client = await private_bus.client(DEFAULT_VOICE, max_in_flight=24)
    stream = await client.open(story(30), DEFAULT_VOICE)
    async with stream:
        await stream.__anext__()
        sent_to_one = stream._launched  # every one of these went to the only worker
        joined = await asyncio.to_thread(private_bus.engine, **ONE_SLOT)
        await collect(stream)
    newcomer = joined.instance()
    moved = [i for i, who in enumerate(stream.served_by[:sent_to_one]) if who == newcomer]
    assert moved, (sent_to_one, newcomer, Counter(stream.served_by))


async def test_every_first_sentence_before_anyones_second(private_bus: PrivateBus) -> None:
    """Four clients at once on one worker: each one's first sentence is made before any
    client's second, so the fourth client does not wait behind the others' whole texts."""
    private_bus.engine(**ONE_SLOT)
    clients = [await private_bus.client(DEFAULT_VOICE, max_in_flight=3) for _ in range(4)]
    events: Events = []
    texts = [" ".join(STORY[(3 * i + k) % len(STORY)] for k in range(3)) for i in range(4)]
    streams = await asyncio.gather(
        *(client.open(text, DEFAULT_VOICE) for client, text in zip(clients, texts, strict=True))
    )
    await asyncio.gather(*(_record(stream, index, events) for index, stream in enumerate(streams)))
    firsts = [events.index((index, 0)) for index in range(4)]
    seconds = [events.index((index, 1)) for index in range(4)]
    assert max(firsts) < min(seconds), events


async def test_batch_delays_realtime_by_one_sentence_at_most(private_bus: PrivateBus) -> None:
    """A long batch text is running; a realtime text of six sentences arrives. Its sentences,
    even those whose position is behind the batch's, go before the batch's waiting ones."""
    private_bus.engine(**ONE_SLOT)
    batch_client = await private_bus.client(DEFAULT_VOICE, max_in_flight=4)
    live_client = await private_bus.client(DEFAULT_VOICE, max_in_flight=6)
    events: Events = []
    batch = await batch_client.open(story(14), DEFAULT_VOICE, priority_class=PriorityClass.BATCH)
    live_done = asyncio.Event()

    async def live_text() -> None:
        live = await live_client.open(
            story(6), DEFAULT_VOICE, priority_class=PriorityClass.REALTIME
        )
        events.append(("live-open", 0))
        await _record(live, "live", events)
        live_done.set()

    tasks: list[asyncio.Task[None]] = []
    async with batch:
        async for _ in batch:
            index = batch.sentences_done
            if ("batch", index) not in events:
                events.append(("batch", index))
                if index == 1:  # sentence 2 runs now, 3 and 4 wait: the live text arrives
                    tasks.append(asyncio.create_task(live_text()))
    await asyncio.gather(*tasks)
    assert live_done.is_set()
    opened = events.index(("live-open", 0))
    last_live = events.index(("live", 5))
    batch_between = [e for e in events[opened:last_live] if e[0] == "batch"]
    assert len(batch_between) <= 1, events


async def test_ready_subject_hands_back_when_the_slot_is_taken(private_bus: PrivateBus) -> None:
    """The raw contract: a worker's one-shot ``ready`` subscription outlives a slot taken
    from the queue group; a request that arrives there then gets ``busy`` (its sender
    re-sends); once that subscription is used up NATS answers 503 on ``ready``."""
    private_bus.engine(**ONE_SLOT)
    client = await private_bus.client(DEFAULT_VOICE)
    long_one = await _send(client, client.subjects.synth("piper"), story(3), retry=False)
    assert await _kinds(long_one, until="start") == ["start"]
    handed = await _send(client, client.subjects.ready("piper"), "Hello there.", retry=True)
    msg = await handed.next_msg(timeout=10)
    assert msg.headers[KIND_HEADER] == MessageKind.BUSY
    assert HandBack.model_validate_json(msg.data).reason == "full"
    # Nothing more is free: NATS itself answers 503 on ready; the queue group still takes it.
    none_free = await _send(client, client.subjects.ready("piper"), "Hello there.", retry=True)
    assert (await none_free.next_msg(timeout=10)).headers.get("Status") == "503"
    queued = await _send(client, client.subjects.synth("piper"), "Hello there.", retry=True)
    assert await _kinds(queued, until="end") == ["start", "chunk", "end"]
    for sub in (long_one, handed, none_free, queued):
        await sub.unsubscribe()  # unread replies would hold up the client's drain


async def _record(stream: SynthesisStream, label: object, events: Events) -> None:
    """Note (label, sentence) the first time each sentence's audio arrives."""
    async with stream:
        async for _ in stream:
            event = (label, stream.sentences_done)
            if event not in events:
                events.append(event)


async def _send(client: HubClient, subject: str, text: str, *, retry: bool) -> Subscription:
    request = SynthesisRequest(
        text=text, voice=DEFAULT_VOICE, deadline=time.time() + 60, retry_on_busy=retry
    )
    inbox = client.nc.new_inbox()
    sub = await client.nc.subscribe(inbox)
    await client.nc.publish(subject, request.model_dump_json().encode(), reply=inbox)
    return sub


async def _kinds(sub: Subscription, until: str) -> list[str]:
    kinds: list[str] = []
    while not kinds or kinds[-1] != until:
        kind = (await sub.next_msg(timeout=30)).headers[KIND_HEADER]
        if kind != "keepalive" and (kind != "chunk" or kinds[-1:] != ["chunk"]):
            kinds.append(kind)
    return kinds
