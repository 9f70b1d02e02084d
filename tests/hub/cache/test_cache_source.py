"""The cache in the hub client, against the real nats-server and Piper: hits are the same
bytes as the miss that stored them, identical sentences in flight are one synthesis, and
``cache=False`` goes to the engine."""

from __future__ import annotations

import asyncio

from hub.cache import CachingSource, cache_state
from hub.client import HubClient
from hub.client.stream import SynthesisStream
from hub.contract.schemas import SynthesisRequest
from hub.process.natsserver import NatsServer
from tests.conftest import DEFAULT_VOICE, EngineProcess, client_settings
from tests.helpers import story
from tests.hub.cache.support import SynthRequests, cache_settings

SENTENCE = "The lighthouse keeper counted seven ships before dawn."
STORY_NAMES = ["Anna", "Boris", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas"]


async def _speak(hub: HubClient, text: str, **options: object) -> tuple[bytes, str]:
    stream = await hub.open(text, DEFAULT_VOICE, **options)  # type: ignore[arg-type]
    async with stream:
        state = await cache_state(stream)
        audio = b"".join([chunk async for chunk in stream])
    return audio, state


async def test_a_hit_is_the_same_audio_without_the_engine(
    cached_hub: HubClient, synth_requests: SynthRequests
) -> None:
    source = cached_hub.sentence_source
    assert isinstance(source, CachingSource)
    miss, first = await _speak(cached_hub, SENTENCE)
    await source.settled()  # stored in JetStream, so the next one reads it from there
    hit, second = await _speak(cached_hub, SENTENCE)
    assert (first, second) == ("miss", "hit")
    assert hit == miss and len(miss) > 22050  # over half a second of speech, byte for byte
    assert synth_requests.count(SENTENCE) == 1
    assert (source.counters.hits, source.counters.misses, source.counters.stored) == (1, 1, 1)


async def test_the_output_format_is_made_from_the_cached_clip(
    cached_hub: HubClient, synth_requests: SynthRequests
) -> None:
    from hub.audio import AudioSpec

    text = "A blue heron waited in the reeds."
    raw, _ = await _speak(cached_hub, text)
    mulaw, state = await _speak(cached_hub, text, output=AudioSpec("mulaw", frame_ms=20))
    assert state == "hit" and synth_requests.count(text) == 1
    assert abs(len(mulaw) - len(raw) / 2 * 8000 / 22050) < 8000 * 0.05  # same length at 8 kHz


async def test_a_new_sentence_in_a_known_text_is_partial(
    cached_hub: HubClient, synth_requests: SynthRequests
) -> None:
    greeting = "Good morning, everyone."
    await _speak(cached_hub, greeting)
    _, state = await _speak(cached_hub, f"{greeting} The meeting starts at nine.")
    assert state == "partial"
    assert synth_requests.count(greeting) == 1


async def test_cache_false_goes_to_the_engine(
    cached_hub: HubClient, synth_requests: SynthRequests
) -> None:
    text = "Fresh bread is sold at the corner bakery."
    await _speak(cached_hub, text)
    _, state = await _speak(cached_hub, text, cache=False)
    assert state == "miss" and synth_requests.count(text) == 2


async def test_identical_sentences_at_once_are_one_synthesis(
    cached_hub: HubClient, synth_requests: SynthRequests
) -> None:
    text = "Four friends asked the same question at once."
    answers = await asyncio.gather(*(_speak(cached_hub, text) for _ in range(4)))
    assert synth_requests.count(text) == 1
    audio = {pcm for pcm, _ in answers}
    assert len(audio) == 1 and len(audio.pop()) > 22050
    _, state = await _speak(cached_hub, text)
    assert state == "hit" and synth_requests.count(text) == 1


async def test_identical_sentences_in_two_processes_are_one_synthesis(
    nats_server: NatsServer, piper_engine: EngineProcess, synth_requests: SynthRequests
) -> None:
    text = "Two kitchens ordered the same soup at noon."
    settings = client_settings(nats_server.url, cache=cache_settings())
    async with (
        await HubClient.connect(settings, "test-cache-a") as one,
        await HubClient.connect(settings, "test-cache-b") as two,
    ):
        await asyncio.gather(one.wait_for_voice(DEFAULT_VOICE), two.wait_for_voice(DEFAULT_VOICE))
        answers = await asyncio.gather(*(_speak(hub, text) for hub in (one, two, one, two)))
    assert synth_requests.count(text) == 1
    audio = {pcm for pcm, _ in answers}
    assert len(audio) == 1 and len(audio.pop()) > 22050


async def test_a_listener_hanging_up_leaves_the_others_their_audio(
    cached_hub: HubClient, synth_requests: SynthRequests
) -> None:
    text = "The first caller hung up, but the second one stayed."
    leaver = await cached_hub.open(text, DEFAULT_VOICE)
    stayer = await cached_hub.open(text, DEFAULT_VOICE)
    await anext(leaver)
    await leaver.aclose()  # the first listener, whose request went to the engine
    async with stayer:
        audio = b"".join([chunk async for chunk in stayer])
    assert synth_requests.count(text) == 1 and len(audio) > 22050
    alone, state = await _speak(cached_hub, text)
    assert state == "hit" and alone == audio


async def test_cancelling_a_reader_of_hits_cancels_it(cached_hub: HubClient) -> None:
    """A reader cancelled while its next sentence is being looked up is cancelled, every
    time: the cancel is never handed to the lookup, where Python 3.11's ``wait_for`` (in
    nats-py) could swallow it and leave the reader waiting for text forever."""
    text = story(8)
    await _speak(cached_hub, text)
    source = cached_hub.sentence_source
    assert isinstance(source, CachingSource)
    await source.settled()
    for _ in range(10):
        stream = await cached_hub.open(None, DEFAULT_VOICE)
        stream.feed(text)  # text left open, as Wyoming streams it
        first = asyncio.Event()

        async def read(stream: SynthesisStream = stream, first: asyncio.Event = first) -> None:
            async for _ in stream:
                first.set()

        reader = asyncio.create_task(read())
        await first.wait()
        reader.cancel()
        done, _ = await asyncio.wait([reader], timeout=10)
        assert done and reader.cancelled()
        await stream.aclose()


async def test_streams_closed_at_once_leave_no_claims_behind(
    cached_hub: HubClient, synth_requests: SynthRequests
) -> None:
    """A sentence abandoned while it was being claimed releases its claim, or every other
    process would wait for it until the claim expires."""
    source = cached_hub.sentence_source
    assert isinstance(source, CachingSource)
    texts = [f"{name} closed door {n} at once." for name in STORY_NAMES for n in (1, 2)]
    for turns, text in enumerate(texts):
        stream = await cached_hub.open(text, DEFAULT_VOICE)
        for _ in range(turns):  # closed ever later: before, during and after the claim
            await asyncio.sleep(0)
        await stream.aclose()
    await source.settled()
    store = await source.store()
    assert store is not None
    route = cached_hub.routes(DEFAULT_VOICE)
    for text in texts:
        request = SynthesisRequest(text=text, voice=DEFAULT_VOICE, deadline=0.0)
        key = await source.key_for(request, route)
        assert key is not None and not await store.claims.claimed(key), text
