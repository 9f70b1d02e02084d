"""A corpus of bad Wyoming input, written as raw frames (the ``wyoming`` library cannot
send most of it: a lone surrogate, a wrong length, a line that is not JSON).

Each case is bytes a client writes before it half-closes, and what it must get back:

* ``Refused(code, words)``: an ``error`` event with that code whose text says ``words``
  and holds no internal text (no traceback, repr, exception name or bytes), as the last
  event before the server closes;
* ``SPOKEN``: one audio response and no error (documented: an unknown voice falls back to
  the default, the hub drops NUL and lone surrogates, ...);
* ``IGNORED``: nothing but the ``info`` answering the ``describe`` sent after it
  (documented: unknown events and blank lines are skipped).

After every case a new connection still gets a good answer. docs/wyoming.md lists the codes.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from wyoming.error import Error
from wyoming.info import Describe

from adapters.wyoming.framing import MAX_DATA_BYTES, MAX_PAYLOAD_BYTES
from adapters.wyoming.server import WyomingAdapter
from adapters.wyoming.settings import WyomingSettings
from hub.client import HubClient
from tests.adapters.wyoming.test_server import READ_TIMEOUT, Reply, one_shot, read_all, wire
from tests.adapters.wyoming.test_text_input import raw_event


@dataclass(frozen=True)
class Refused:
    code: str
    words: str


SPOKEN = "spoken"
IGNORED = "ignored"
PROTOCOL = "protocol_error"
LEAKS = re.compile(r"Traceback|File \"|\w+(Error|Exception)\b|\w+\(|\\x[0-9a-f]{2}|b'|\.py\b")
"""Internal text: a traceback, an exception class or repr, a bytes repr, a file path."""


def header(**fields: Any) -> bytes:
    """A header line as written, lengths and all."""
    return json.dumps(fields).encode() + b"\n"


def refused(words: str) -> Refused:
    return Refused(PROTOCOL, words)


def say(text: Any, **data: Any) -> bytes:
    """A one-shot ``synthesize`` with any fields."""
    return raw_event("synthesize", text=text, **data)


def chunk(text: Any) -> bytes:
    """A ``synthesize-chunk`` of a text stream."""
    return raw_event("synthesize-chunk", text=text)


START = raw_event("synthesize-start")
STOP = raw_event("synthesize-stop")


NOT_AN_INT = "must be an integer"
SAY = {"text": "Hello there."}
LONG_TEXT = json.dumps({"text": "Word and word. " * 13_400}).encode()  # over 200,000 chars

FRAMES: list[tuple[str, bytes, Any]] = [
    ("not JSON", b"hello, this is not an event\n", refused("not JSON")),
    ("binary garbage", bytes(range(128, 256)) * 4 + b"\n", refused("not UTF-8")),
    ("NUL after the JSON", b'{"type": "describe"}\x00\n', refused("not JSON")),
    ("a JSON array", b"[1, 2]\n", refused("not a JSON object")),
    ("a JSON string", b'"synthesize"\n', refused("not a JSON object")),
    ("JSON null", b"null\n", refused("not a JSON object")),
    ("no type", header(data=SAY), refused("no 'type'")),
    ("type empty", header(type="", data=SAY), refused("no 'type'")),
    ("type a number", header(type=5, data=SAY), refused("no 'type'")),
    ("data a list", header(type="synthesize", data=["Hi."]), refused("not a JSON object")),
    ("data a string", header(type="synthesize", data="Hi."), refused("not a JSON object")),
    ("data_length negative", header(type="synthesize", data_length=-1), refused(NOT_AN_INT)),
    ("data_length a string", header(type="synthesize", data_length="9"), refused(NOT_AN_INT)),
    ("data_length a fraction", header(type="synthesize", data_length=2.5), refused(NOT_AN_INT)),
    ("data_length true", header(type="synthesize", data_length=True), refused(NOT_AN_INT)),
    ("data_length huge", header(type="x", data_length=MAX_DATA_BYTES + 1), refused(NOT_AN_INT)),
    ("payload_length negative", header(type="audio-chunk", payload_length=-4), refused(NOT_AN_INT)),
    (
        "payload_length huge",
        header(type="x", payload_length=MAX_PAYLOAD_BYTES + 1),
        refused(NOT_AN_INT),
    ),
    (
        "payload without a length",
        header(type="audio-chunk") + b"\x00\xff" * 64 + b"\n",
        refused("not JSON"),
    ),
    (
        "truncated payload",
        header(type="audio-chunk", payload_length=100) + b"0" * 10,
        refused("10 of 100 bytes"),
    ),
    (
        "truncated data",
        header(type="synthesize", data_length=50) + b'{"te',
        refused("4 of 50 bytes"),
    ),
    (
        "data not JSON",
        header(type="synthesize", data_length=5) + b"hello",
        refused("data of synthesize is not JSON"),
    ),
    (
        "data a JSON array",
        header(type="synthesize", data_length=2) + b"[]",
        refused("not a JSON object"),
    ),
    ("header cut off", b'{"type": "describe"', refused("middle of an event header")),
    ("header not UTF-8", b'{"type": "\xff\xfe"}\n', refused("not UTF-8")),
    ("a 200 KB line", say("x" * 200_000), refused("too long")),
    ("blank lines between events", b"\n\r\n  \n", IGNORED),
    (
        "data split between header and data_length",
        header(type="synthesize", data={"voice": None}, data_length=len(json.dumps(SAY)))
        + json.dumps(SAY).encode(),
        SPOKEN,
    ),
]
ORDER: list[tuple[str, bytes, Any]] = [
    ("chunk without start", chunk("Hi."), refused("outside")),
    ("stop without start", STOP, refused("without synthesize-start")),
    ("start twice", START * 2, refused("already open")),
    ("stop twice", START + STOP * 2, refused("without synthesize-start")),
    ("chunk after stop", START + STOP + chunk("Late."), refused("outside")),
    ("an unknown event", raw_event("frobnicate", text="Hi."), IGNORED),
    (
        "audio sent to the server",
        header(
            type="audio-chunk", data={"rate": 16000, "width": 2, "channels": 1}, payload_length=4
        )
        + b"\x00" * 4,
        IGNORED,
    ),
]
FIELDS: list[tuple[str, bytes, Any]] = [
    ("synthesize without text", raw_event("synthesize"), refused("'text' is missing")),
    ("text a number", say(5), refused("must be a string")),
    ("text null", say(None), refused("must be a string")),
    ("chunk text a list", START + chunk(["Hi."]), refused("must be a string")),
    ("voice a string", say("Hi.", voice="alloy"), refused("'voice'")),
    ("voice a list", say("Hi.", voice=["alloy"]), refused("'voice'")),
    ("voice name a number", say("Hi.", voice={"name": 7}), refused("'voice'")),
    ("speaker a list", say("Hi.", voice={"name": "x", "speaker": []}), refused("'voice'")),
    ("language an object", say("Hi.", voice={"language": {}}), refused("'voice'")),
    ("voice null", say("Hello there.", voice=None), SPOKEN),
    ("voice unknown", say("Hello there.", voice={"name": "nobody"}), SPOKEN),
    (
        "speaker unknown",
        say("Hello there.", voice={"name": "en_US-joe-medium", "speaker": "nobody"}),
        SPOKEN,
    ),
    ("language unknown", say("Hello there.", voice={"language": "xx_XX"}), SPOKEN),
    ("text format unknown", say("Hello there.", text_format="markdown"), SPOKEN),
    ("text empty", say(""), Refused("invalid_request", "")),
    ("text only punctuation", say(" ... !? "), Refused("invalid_request", "")),
    ("text only codes and tags", say("\x00\x1b[0m<break/>"), Refused("invalid_request", "")),
    (
        "text in Chinese",
        say("你好\uff0c世界\u3002今天天气很好\u3002"),
        Refused("invalid_request", "Han"),
    ),
    (
        "text in Arabic",
        say("\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645."),
        Refused("invalid_request", "Arabic"),
    ),
    (
        "text over max_text_chars",
        header(type="synthesize", data_length=len(LONG_TEXT)) + LONG_TEXT,
        Refused("text_too_long", "the limit is 200000"),
    ),
    ("NUL in the text", say("Hello\x00 there."), SPOKEN),
    ("lone surrogate, escaped", say("Hello \ud800 there."), SPOKEN),
    (
        "lone surrogate, raw bytes",
        b'{"type": "synthesize", "data": {"text": "Hello \xed\xa0\x80 there."}}\n',
        SPOKEN,
    ),
    ("streamed lone surrogate", START + chunk("Hello \udfff there.") + STOP, SPOKEN),
]
CASES = FRAMES + ORDER + FIELDS


@pytest.fixture(scope="module")
async def adapter(hub: HubClient) -> AsyncIterator[WyomingAdapter]:
    async with WyomingAdapter(WyomingSettings(host="127.0.0.1", port=0), hub) as running:
        yield running


async def send_and_half_close(adapter: WyomingAdapter, data: bytes) -> Reply:
    """Write ``data``, end our side, read every event until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", adapter.port)
    try:
        writer.write(data)
        writer.write_eof()
        await writer.drain()
        async with asyncio.timeout(READ_TIMEOUT):
            answer = await reader.read()
    finally:
        writer.close()
    return Reply(events=read_all(answer))


@pytest.mark.parametrize(("case", "data", "expect"), CASES, ids=[case for case, _, _ in CASES])
async def test_bad_input(adapter: WyomingAdapter, case: str, data: bytes, expect: Any) -> None:
    if expect == IGNORED:
        data += wire(Describe())
    reply = await send_and_half_close(adapter, data)
    if expect == SPOKEN:
        assert reply.error is None, (case, reply.error)
        reply.assert_one_response(streamed="synthesize-stopped" in reply.types)
    elif expect == IGNORED:
        assert reply.types == ["info"], (case, reply.types)
    else:
        assert reply.types[-1] == "error" and reply.types.count("error") == 1, (case, reply.types)
        error = Error.from_event(reply.events[-1])
        assert error.code == expect.code and expect.words in error.text, (case, error)
        assert not LEAKS.search(error.text), (case, error)
    good = await one_shot(adapter, "Fine.")  # a new connection is served as ever
    good.assert_one_response(streamed=False)
