"""The Wyoming adapter's strict event reader, on real asyncio streams."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from wyoming.audio import AudioChunk
from wyoming.event import Eventable, write_event
from wyoming.tts import Synthesize, SynthesizeVoice

from adapters.wyoming.framing import MAX_DATA_BYTES, ProtocolError, read_event


def reader_of(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


def wire_bytes(*events: Eventable) -> bytes:
    """What the wyoming library itself writes for ``events``."""
    sink = io.BytesIO()
    for event in events:
        write_event(event.event(), sink)
    return sink.getvalue()


async def test_reads_what_the_library_writes() -> None:
    request = Synthesize(text="Grüße. Hello", voice=SynthesizeVoice(name="v", speaker="s"))
    chunk = AudioChunk(rate=22050, width=2, channels=1, audio=b"\x01\x02\x03\x04")
    reader = reader_of(wire_bytes(request, chunk))
    first = await read_event(reader)
    assert first is not None and Synthesize.from_event(first) == request
    second = await read_event(reader)
    assert second is not None and AudioChunk.from_event(second) == chunk
    assert await read_event(reader) is None


async def test_data_in_the_header_is_merged_and_blank_lines_skipped() -> None:
    extra = json.dumps({"text": "from the data block"}).encode()
    header = {"type": "synthesize", "data": {"voice": {"name": "v"}}, "data_length": len(extra)}
    reader = reader_of(b"\n  \n" + json.dumps(header).encode() + b"\n" + extra)
    event = await read_event(reader)
    assert event is not None
    assert event.data == {"voice": {"name": "v"}, "text": "from the data block"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"this is not json\n", "not JSON"),
        (b"\xff\xfe garbage\n", "not JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"data": {}}\n', "no 'type'"),
        (b'{"type": "x", "data": []}\n', "not a JSON object"),
        (b'{"type": "x", "data_length": -1}\n', "data_length"),
        (b'{"type": "x", "payload_length": "4"}\n', "payload_length"),
        (b'{"type": "x", "data_length": %d}\n' % (MAX_DATA_BYTES + 1), "data_length"),
        (b'{"type": "x", "data_length": 5}\n{"a"', "closed after 4 of 5 bytes"),
        (b'{"type": "x", "data_length": 3}\n[1]', "not a JSON object"),
        (b'{"type": "x", "payload_length": 8}\n1234', "closed after 4 of 8 bytes"),
        (b'{"type": "describe"', "middle of an event header"),
    ],
    ids=[
        "garbage",
        "not-utf8",
        "array",
        "no-type",
        "data-not-object",
        "negative-length",
        "string-length",
        "huge-data",
        "truncated-data",
        "data-array",
        "truncated-payload",
        "truncated-header",
    ],
)
async def test_malformed_frames_raise_instead_of_looking_like_eof(raw: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        await read_event(reader_of(raw))


@pytest.mark.parametrize(
    "raw",
    [
        b"this secret is not json\n",
        b"\xff\xfe secret garbage\n",
        b'{"type": "x", "payload_length": "secret"}\n',
        b'{"type": "x", "data_length": 6}\nsecret',
    ],
    ids=["garbage", "not-utf8", "string-length", "data-not-json"],
)
async def test_errors_say_what_is_wrong_without_echoing_the_bytes(raw: bytes) -> None:
    with pytest.raises(ProtocolError) as raised:
        await read_event(reader_of(raw))
    text = str(raised.value)
    assert "secret" not in text and "\\x" not in text and "b'" not in text, text


async def test_header_longer_than_the_stream_limit() -> None:
    reader = asyncio.StreamReader(limit=1024)
    reader.feed_data(b'{"type": "' + b"x" * 2000 + b'"}\n')
    reader.feed_eof()
    with pytest.raises(ProtocolError, match="too long"):
        await read_event(reader)


async def test_clean_eof_is_none() -> None:
    assert await read_event(reader_of(b"")) is None
    assert await read_event(reader_of(b"\n\n")) is None
