"""The Wyoming adapter against the real bus and Piper engine, driven by the ``wyoming``
package's own client the way Home Assistant drives it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from wyoming.audio import AudioChunk, AudioStart
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event, Eventable, read_event, write_event
from wyoming.info import Describe, Info
from wyoming.ping import Ping
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeVoice,
)

from adapters.wyoming.server import WyomingAdapter
from adapters.wyoming.settings import WyomingSettings
from hub.client import HubClient
from tests.conftest import DEFAULT_VOICE, EngineProcess, PrivateBus
from tests.helpers import STORY, assert_is_speech, story

READ_TIMEOUT = 20.0
RATE = 22050


@dataclass
class Reply:
    """Everything the server sent for one request."""

    events: list[Event] = field(default_factory=list)

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]

    @property
    def pcm(self) -> bytes:
        return b"".join(
            AudioChunk.from_event(e).audio for e in self.events if AudioChunk.is_type(e.type)
        )

    @property
    def error(self) -> Error | None:
        errors = [Error.from_event(e) for e in self.events if Error.is_type(e.type)]
        return errors[0] if errors else None

    def assert_one_response(self, streamed: bool) -> None:
        """Exactly one audio-start ... audio-stop (then synthesize-stopped when streamed),
        every chunk in the format audio-start announced."""
        types = self.types
        assert types.count("audio-start") == 1 and types.count("audio-stop") == 1, types
        assert types[0] == "audio-start"
        assert types[-1] == ("synthesize-stopped" if streamed else "audio-stop"), types[-3:]
        if streamed:
            assert types[-2] == "audio-stop"
        start = AudioStart.from_event(self.events[0])
        assert (start.rate, start.width, start.channels) == (RATE, 2, 1)
        for event in self.events:
            if AudioChunk.is_type(event.type):
                chunk = AudioChunk.from_event(event)
                assert (chunk.rate, chunk.width, chunk.channels) == (RATE, 2, 1)
                assert chunk.audio and len(chunk.audio) % 2 == 0


async def read_reply(client: AsyncTcpClient, last: str, reply: Reply | None = None) -> Reply:
    """Read until an event of type ``last`` or until the server closes the connection."""
    reply = reply or Reply()
    while True:
        event = await client.read_event()
        if event is None:
            return reply
        reply.events.append(event)
        if event.type == last:
            return reply


def connect(adapter: WyomingAdapter) -> AsyncTcpClient:
    return AsyncTcpClient("127.0.0.1", adapter.port, connect_timeout=5, read_timeout=READ_TIMEOUT)


async def one_shot(
    adapter: WyomingAdapter, text: str, voice: SynthesizeVoice | None = None, **fields: Any
) -> Reply:
    async with connect(adapter) as client:
        await client.write_event(Synthesize(text=text, voice=voice, **fields).event())
        return await read_reply(client, "audio-stop")


async def stream_like_home_assistant(
    client: AsyncTcpClient, fragments: list[str], voice: SynthesizeVoice | None = None
) -> Reply:
    """Home Assistant's streaming sequence: start, text deltas, compat synthesize, stop."""
    await client.write_event(SynthesizeStart(voice=voice).event())
    for fragment in fragments:
        await client.write_event(SynthesizeChunk(text=fragment).event())
    await client.write_event(Synthesize(text="".join(fragments), voice=voice).event())
    await client.write_event(SynthesizeStop().event())
    return await read_reply(client, "synthesize-stopped")


def wire(*events: Eventable) -> bytes:
    sink = io.BytesIO()
    for event in events:
        write_event(event.event(), sink)
    return sink.getvalue()


def read_all(data: bytes) -> list[Event]:
    source = io.BytesIO(data)
    events = []
    while (event := read_event(source)) is not None:
        events.append(event)
    return events


def split_anywhere(text: str, sizes: tuple[int, ...] = (7, 3, 11, 5)) -> list[str]:
    """Fragments cut mid-word, like an LLM's token stream."""
    pieces, pos, index = [], 0, 0
    while pos < len(text):
        size = sizes[index % len(sizes)]
        pieces.append(text[pos : pos + size])
        pos, index = pos + size, index + 1
    return pieces


async def engine_counters(hub: HubClient, instance: str) -> tuple[int, int]:
    """(served, cancelled) from the worker's latest announcement."""
    await hub.discovery.refresh()
    await asyncio.sleep(0.2)
    worker = next(w for w in hub.discovery.workers() if w.instance == instance)
    return worker.served, worker.cancelled


@pytest.fixture(scope="module")
async def adapter(hub: HubClient) -> AsyncIterator[WyomingAdapter]:
    async with WyomingAdapter(WyomingSettings(host="127.0.0.1", port=0), hub) as running:
        yield running


# ---- describe ----------------------------------------------------------------------------


async def test_describe_lists_live_voices_and_streaming(adapter: WyomingAdapter) -> None:
    async with connect(adapter) as client:
        await client.write_event(Describe().event())
        event = await client.read_event()
    assert event is not None and Info.is_type(event.type)
    info = Info.from_event(event)
    assert len(info.tts) == 1
    program = info.tts[0]
    assert program.name == "voicebus" and program.installed and program.version
    assert program.supports_synthesize_streaming
    voice = next(v for v in program.voices if v.name == DEFAULT_VOICE)
    assert voice.installed and "en_US" in voice.languages
    assert voice.description and "piper engine" in voice.description


# ---- one-shot ----------------------------------------------------------------------------


async def test_one_shot_is_one_audio_response_of_the_right_words(
    adapter: WyomingAdapter, whisper: Any
) -> None:
    text = story(3)
    reply = await one_shot(adapter, text, SynthesizeVoice(name=DEFAULT_VOICE))
    reply.assert_one_response(streamed=False)
    assert_is_speech(reply.pcm, RATE, text, whisper)


# ---- streaming ---------------------------------------------------------------------------


async def test_home_assistant_streaming_sequence(adapter: WyomingAdapter, whisper: Any) -> None:
    text = story(4)
    cut = text.index(STORY[2]) + 4  # mid-word in the third sentence
    voice = SynthesizeVoice(name=DEFAULT_VOICE)
    async with connect(adapter) as client:
        await client.write_event(SynthesizeStart(voice=voice).event())
        for fragment in split_anywhere(text[:cut]):
            await client.write_event(SynthesizeChunk(text=fragment).event())
        # Audio of the finished sentences arrives while the text is still open.
        reply = await read_reply(client, "audio-chunk")
        assert reply.types == ["audio-start", "audio-chunk"]
        for fragment in split_anywhere(text[cut:]):
            await client.write_event(SynthesizeChunk(text=fragment).event())
        await client.write_event(Synthesize(text=text, voice=voice).event())  # to be ignored
        await client.write_event(SynthesizeStop().event())
        reply = await read_reply(client, "synthesize-stopped", reply)
    reply.assert_one_response(streamed=True)
    assert_is_speech(reply.pcm, RATE, text, whisper)


async def test_requests_in_a_row_on_one_connection(adapter: WyomingAdapter) -> None:
    async with connect(adapter) as client:
        streamed = await stream_like_home_assistant(client, split_anywhere(story(2)))
        streamed.assert_one_response(streamed=True)
        assert_is_speech(streamed.pcm, RATE, story(2))
        await client.write_event(Synthesize(text="Short and sweet.").event())
        single = await read_reply(client, "audio-stop")
        single.assert_one_response(streamed=False)
        assert_is_speech(single.pcm, RATE, "Short and sweet.")
        again = await stream_like_home_assistant(client, ["One more ti", "me."])
        again.assert_one_response(streamed=True)
        assert_is_speech(again.pcm, RATE, "One more time.")


async def test_empty_stream_still_ends_with_synthesize_stopped(adapter: WyomingAdapter) -> None:
    async with connect(adapter) as client:
        reply = await stream_like_home_assistant(client, [])
    assert reply.types == ["audio-start", "audio-stop", "synthesize-stopped"]


# ---- several clients ---------------------------------------------------------------------


async def test_connections_at_once_each_get_their_own_audio(
    adapter: WyomingAdapter, whisper: Any
) -> None:
    texts = [
        "Apples grow on tall trees in the orchard.",
        "The red bus stops at the corner every morning. It is always late.",
        "A small boat sailed across the quiet lake.",  # no digits or rare words to mishear
    ]

    async def streamed(text: str) -> Reply:
        async with connect(adapter) as client:
            return await stream_like_home_assistant(client, split_anywhere(text))

    replies = await asyncio.gather(
        one_shot(adapter, texts[0]), streamed(texts[1]), streamed(texts[2])
    )
    for text, reply, is_streamed in zip(texts, replies, (False, True, True), strict=True):
        reply.assert_one_response(streamed=is_streamed)
        assert_is_speech(reply.pcm, RATE, text, whisper)


# ---- voice choice ------------------------------------------------------------------------


async def test_unknown_voice_and_speaker_fall_back_to_the_default(
    adapter: WyomingAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="adapters.wyoming"):
        reply = await one_shot(adapter, "Hello there.", SynthesizeVoice(name="no-such-voice"))
        reply.assert_one_response(streamed=False)
        assert_is_speech(reply.pcm, RATE, "Hello there.")
        reply = await one_shot(
            adapter, "Hello again.", SynthesizeVoice(name=DEFAULT_VOICE, speaker="nobody")
        )
        reply.assert_one_response(streamed=False)
    assert "unknown voice 'no-such-voice'" in caplog.text
    assert "has no speaker 'nobody'" in caplog.text


async def test_language_only_requests(
    adapter: WyomingAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    reply = await one_shot(adapter, "Good morning.", SynthesizeVoice(language="en_US"))
    reply.assert_one_response(streamed=False)
    assert_is_speech(reply.pcm, RATE, "Good morning.")
    with caplog.at_level(logging.WARNING, logger="adapters.wyoming"):
        reply = await one_shot(adapter, "Good night.", SynthesizeVoice(language="xx_XX"))
    reply.assert_one_response(streamed=False)
    assert "no voice for language 'xx_XX'" in caplog.text


# ---- disconnects and errors --------------------------------------------------------------


async def test_client_leaving_mid_stream_cancels_engine_work(
    adapter: WyomingAdapter, hub: HubClient, piper_engine: EngineProcess
) -> None:
    instance = piper_engine.instance()
    _, cancelled_before = await engine_counters(hub, instance)

    async def leave_after_first_audio(streamed: bool) -> None:
        async with connect(adapter) as client:
            text = story(10)
            if streamed:  # text still open when the client goes
                await client.write_event(SynthesizeStart().event())
                await client.write_event(SynthesizeChunk(text=text).event())
            else:
                await client.write_event(Synthesize(text=text).event())
            reply = await read_reply(client, "audio-chunk")
            assert reply.types[-1] == "audio-chunk"

    await leave_after_first_audio(streamed=True)
    # Another client is served normally meanwhile.
    leaving = asyncio.create_task(leave_after_first_audio(streamed=False))
    other = await one_shot(adapter, "Nothing to see here.")
    await leaving
    other.assert_one_response(streamed=False)
    assert_is_speech(other.pcm, RATE, "Nothing to see here.")
    deadline = time.monotonic() + 10
    cancelled = cancelled_before
    while cancelled < cancelled_before + 2 and time.monotonic() < deadline:
        _, cancelled = await engine_counters(hub, instance)
    assert cancelled >= cancelled_before + 2, (cancelled_before, cancelled)


async def test_garbage_gets_an_error_event_then_close(adapter: WyomingAdapter) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", adapter.port)
    try:
        writer.write(b"hello, this is not a wyoming event\n")
        await writer.drain()
        async with asyncio.timeout(READ_TIMEOUT):
            answer = await reader.read()  # everything until the server closes
    finally:
        writer.close()
    events = read_all(answer)
    assert [event.type for event in events] == ["error"]
    error = Error.from_event(events[0])
    assert error.code == "protocol_error" and "not JSON" in error.text
    # The server keeps serving everyone else.
    reply = await one_shot(adapter, "Still here.")
    reply.assert_one_response(streamed=False)


async def test_half_closed_client_still_gets_its_audio(adapter: WyomingAdapter) -> None:
    """Like ``echo '{...}' | nc host 10200``: the request, then end-of-file, then reading."""
    reader, writer = await asyncio.open_connection("127.0.0.1", adapter.port)
    try:
        writer.write(wire(Ping(text="hi"), Synthesize(text="Half closed but listening.")))
        writer.write_eof()
        async with asyncio.timeout(READ_TIMEOUT):
            answer = await reader.read()
    finally:
        writer.close()
    events = read_all(answer)
    assert events[0].type == "pong" and events[0].data == {"text": "hi"}
    reply = Reply(events=events[1:])
    reply.assert_one_response(streamed=False)
    assert_is_speech(reply.pcm, RATE, "Half closed but listening.")


@pytest.mark.parametrize(
    ("events", "code"),
    [
        ([SynthesizeChunk(text="Hello.")], "protocol_error"),
        ([SynthesizeStop()], "protocol_error"),
        ([SynthesizeStart(), SynthesizeStart()], "protocol_error"),
        ([Event("synthesize", {"voice": {"name": "x"}})], "protocol_error"),
        ([Synthesize(text=" ... ")], "invalid_request"),
        ([Synthesize(text="\x00\x1b[0m<break/>")], "invalid_request"),
    ],
    ids=["chunk-first", "stop-first", "start-twice", "no-text", "empty-text", "only-codes"],
)
async def test_bad_requests_get_an_error_event_then_close(
    adapter: WyomingAdapter, events: list[Any], code: str
) -> None:
    async with connect(adapter) as client:
        for event in events:
            await client.write_event(event if isinstance(event, Event) else event.event())
        reply = await read_reply(client, "error")
        assert reply.error is not None and reply.error.code == code, reply.types
        assert "Error(" not in reply.error.text and "Traceback" not in reply.error.text
        assert await client.read_event() is None  # closed
    reply = await one_shot(adapter, "Still here.")  # the server serves the next request
    reply.assert_one_response(streamed=False)


async def test_missing_text_is_named_not_a_python_repr(adapter: WyomingAdapter) -> None:
    async with connect(adapter) as client:
        await client.write_event(Event("synthesize", {"voice": {"name": "x"}}))
        reply = await read_reply(client, "error")
    assert reply.error is not None
    assert reply.error.text == "invalid synthesize event: 'text' is missing"


async def test_ssml_and_control_codes_are_spoken_clean(adapter: WyomingAdapter) -> None:
    text = '<speak>Clean \x1b[1mwords\x1b[0m\x00 only.<break time="200ms"/></speak>'
    reply = await one_shot(adapter, text, text_format="ssml")
    reply.assert_one_response(streamed=False)
    assert_is_speech(reply.pcm, RATE, "Clean words only.")


# ---- engines coming and going --------------------------------------------------------------


async def test_engine_that_disappears(private_bus: PrivateBus) -> None:
    """A Piper engine on its own subject prefix, killed: describe drops its voice, requests
    end in an error event and a closed connection, never a hang."""
    engine = private_bus.engine(VOICEBUS_HEARTBEAT_SECONDS="0.5")
    hub = await private_bus.client(
        DEFAULT_VOICE, discovery_wait=1.0, start_timeout=2.0, idle_timeout=2.0
    )
    async with WyomingAdapter(WyomingSettings(host="127.0.0.1", port=0), hub) as adapter:
        assert DEFAULT_VOICE in await described_voices(adapter)
        # Killed in the middle of a streamed response, while text keeps coming.
        async with connect(adapter) as client:
            await client.write_event(SynthesizeStart().event())
            await client.write_event(SynthesizeChunk(text=story(12)).event())
            reply = await read_reply(client, "audio-chunk")
            engine.send(signal.SIGKILL)
            began = time.monotonic()
            writing = asyncio.create_task(keep_writing(client, " And more text.", 0.2))
            reply = await read_reply(client, "error", reply)
            writing.cancel()
            assert reply.error is not None, reply.types[-3:]
            assert reply.error.code in ("engine_unavailable", "timeout"), reply.error
            assert await client.read_event() is None
            assert time.monotonic() - began < 10
        deadline = time.monotonic() + 5
        while DEFAULT_VOICE in await described_voices(adapter):
            assert time.monotonic() < deadline, "killed engine still listed"
            await asyncio.sleep(0.2)
        async with connect(adapter) as client:
            await client.write_event(SynthesizeStart().event())
            reply = await read_reply(client, "error")
            assert reply.error is not None and reply.error.code == "voice_not_found"
            assert await client.read_event() is None


async def listening_port(adapter: WyomingAdapter) -> int:
    async with asyncio.timeout(10):
        while True:
            with contextlib.suppress(RuntimeError):  # not listening yet
                return adapter.port
            await asyncio.sleep(0.01)


async def keep_writing(client: AsyncTcpClient, text: str, every: float) -> None:
    with contextlib.suppress(ConnectionError):
        for _ in range(100):
            await client.write_event(SynthesizeChunk(text=text).event())
            await asyncio.sleep(every)


async def described_voices(adapter: WyomingAdapter) -> list[str]:
    async with connect(adapter) as client:
        await client.write_event(Describe().event())
        event = await client.read_event()
    assert event is not None
    return [voice.name for voice in Info.from_event(event).tts[0].voices]


# ---- shutdown ----------------------------------------------------------------------------


async def test_serve_until_stop_closes_open_connections(hub: HubClient) -> None:
    stop = asyncio.Event()
    adapter = WyomingAdapter(WyomingSettings(host="127.0.0.1", port=0), hub)
    serving = asyncio.create_task(adapter.serve(stop))
    port = await listening_port(adapter)
    async with connect(adapter) as client:
        await client.write_event(SynthesizeStart().event())
        await client.write_event(SynthesizeChunk(text=story(6)).event())
        reply = await read_reply(client, "audio-chunk")
        stop.set()
        async with asyncio.timeout(10):
            await serving
        reply = await read_reply(client, "error", reply)
        assert reply.error is not None and reply.error.code == "shutting_down"
        assert await client.read_event() is None
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_an_oversized_header_gets_its_error_before_the_close(adapter: WyomingAdapter) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", adapter.port)
    try:
        writer.write(b'{"type": "synthesize", "data": {"text": "' + b"x" * 200_000)
        await writer.drain()
        async with asyncio.timeout(READ_TIMEOUT):
            answer = await reader.read()
    finally:
        writer.close()
    events = read_all(answer)
    assert [event.type for event in events] == ["error"]
    error = Error.from_event(events[0])
    assert error.code == "protocol_error" and error.text == "event header line is too long"
