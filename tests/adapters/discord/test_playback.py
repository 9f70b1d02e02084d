"""discord.py's AudioPlayer pulling the adapter's source, fed from a real Piper on the bus."""

from __future__ import annotations

import asyncio
from typing import Any

from discord.opus import OPUS_SILENCE

from adapters.discord.playback import GuildPlayer, Utterance
from adapters.discord.source import OUTPUT, HubAudioSource
from hub.client import HubClient
from hub.contract.schemas import CancelRequest, SynthesisRequest
from tests.adapters.discord.voice_stand_in import RecordingVoice, decode, left_channel
from tests.helpers import assert_is_speech, story

FRAME_BYTES = 3840  # 20 ms of 48 kHz stereo s16le
TEXT = "The morning train left the station right on time. A young woman read a book."


async def test_player_streams_speech_at_pace(hub: HubClient, whisper: Any) -> None:
    voice = RecordingVoice(asyncio.get_running_loop())
    player = GuildPlayer(hub, 1)
    player.voice = voice
    utterance = Utterance(TEXT)
    player.enqueue(utterance)
    await asyncio.wait_for(utterance.done.wait(), 30)
    await asyncio.sleep(0.1)

    speech = voice.speech_packets()
    assert all(not encode for _, _, encode in voice.packets), "Opus packets go out as they are"
    pcm = decode([data for _, data in speech])
    assert len(pcm) == len(speech) * FRAME_BYTES, "every packet is exactly 20 ms"
    span = speech[-1][0] - speech[0][0]
    assert abs(span - 0.02 * (len(speech) - 1)) < 0.25, f"{len(speech)} packets in {span:.2f} s"
    assert_is_speech(left_channel(pcm), 48000, TEXT, whisper)


async def test_speaking_starts_after_the_first_sentence(hub: HubClient) -> None:
    voice = RecordingVoice(asyncio.get_running_loop())
    player = GuildPlayer(hub, 4)
    player.voice = voice
    utterance = Utterance(story(12))  # long enough that its whole synthesis takes seconds
    player.enqueue(utterance)
    await asyncio.wait_for(utterance.started.wait(), 20)
    source = utterance.source
    assert source is not None
    while source.finished_at is None:  # the whole text is synthesized
        await asyncio.sleep(0.02)
    await player.skip()  # no need to hear it all
    assert source.first_audio_at is not None
    assert source.first_audio_at < source.finished_at - 0.5, "it waited for the whole text"
    assert source.underruns < 150, "the start should not need seconds of silence"


async def test_stall_plays_silence_and_does_not_end(hub: HubClient) -> None:
    stream = await hub.open("A young woman read a book about the ocean.", output=OUTPUT)
    packets = [packet async for packet in stream]
    source = HubAudioSource()
    voice = RecordingVoice(asyncio.get_running_loop())
    ended = asyncio.Event()
    loop = asyncio.get_running_loop()
    voice.play(source, after=lambda _e: loop.call_soon_threadsafe(ended.set))
    half = len(packets) // 2
    for packet in packets[:half]:
        source.feed(packet)
    await asyncio.sleep(0.02 * half + 0.5)  # the first half plays, then a 0.5 s stall
    assert not ended.is_set(), "an underrun must not end playback"
    for packet in packets[half:]:
        source.feed(packet)
    source.finish()
    await asyncio.wait_for(ended.wait(), 0.02 * len(packets) + 5)

    sent = [data for _, data, _ in voice.packets]
    first_real = sent.index(packets[0])
    played = [data for data in sent[first_real:] if data != OPUS_SILENCE]
    assert played == packets, "every packet played once, in order"
    gap = sent[first_real + half :].index(packets[half])
    assert gap >= 15, f"only {gap} silence frames during a 0.5 s stall"
    assert source.underruns >= gap


async def test_skip_cancels_the_bus_request_and_plays_the_next(hub: HubClient) -> None:
    requests: dict[str, str] = {}  # request id -> sentence, as the workers were asked
    cancelled: list[str] = []

    async def on_request(msg: Any) -> None:
        request = SynthesisRequest.model_validate_json(msg.data)
        requests[request.request_id] = request.text

    async def on_cancel(msg: Any) -> None:
        cancel = CancelRequest.model_validate_json(msg.data)
        if cancel.reason != "resent":  # the client's own hand-over from ready to synth
            cancelled.append(cancel.request_id)

    prefix = hub.subjects.prefix
    subs = [
        await hub.nc.subscribe(f"{prefix}.ready.*", cb=on_request),
        await hub.nc.subscribe(f"{prefix}.synth.*", cb=on_request),
        await hub.nc.subscribe(hub.subjects.cancel_all, cb=on_cancel),
    ]
    voice = RecordingVoice(asyncio.get_running_loop())
    player = GuildPlayer(hub, 2)
    player.voice = voice
    long_text = story(8)
    long, short = Utterance(long_text), Utterance("Then the train slowed down.")
    player.enqueue(long)
    player.enqueue(short)
    await asyncio.wait_for(long.started.wait(), 20)
    while long.source is not None and long.source.packets < 10:
        await asyncio.sleep(0.02)
    assert await player.skip()
    await asyncio.wait_for(long.done.wait(), 5)
    await asyncio.wait_for(short.done.wait(), 20)
    await hub.nc.flush()
    for sub in subs:
        await sub.unsubscribe()
    assert cancelled, "skip must cancel the synthesis on the bus"
    for request_id in cancelled:  # the long utterance's own requests, not the next one's
        assert request_id in requests and requests[request_id] in long_text, request_id
    assert long.source is not None and long.source.packets < 200, "the long text was cut short"
    assert short.source is not None and short.source.packets > 20, "the next one still played"


async def test_stop_empties_the_queue(hub: HubClient) -> None:
    voice = RecordingVoice(asyncio.get_running_loop())
    player = GuildPlayer(hub, 3)
    player.voice = voice
    items = [Utterance(story(4)) for _ in range(3)]
    for item in items:
        player.enqueue(item)
    await asyncio.wait_for(items[0].started.wait(), 20)
    assert await player.stop() == 3
    for item in items:
        await asyncio.wait_for(item.done.wait(), 5)
    assert not items[1].started.is_set() and not items[2].started.is_set()
    assert player.current is None or player.current is items[0]
