"""A corpus of bad REST input, as a tester throws it at ``POST /v1/audio/speech``.

Every case names what it expects: a 4xx in OpenAI's shape with one documented code (never
a 5xx, never internal text: no traceback, Python repr, exception name or file path), or
``SPOKEN`` where the documented behaviour is to accept it (unknown fields are ignored, NUL
and lone surrogates are dropped by the hub, a JSON body may carry a BOM). After every case
the same server still answers a good request.

Four tables: ``TEXTS`` (the ``input`` field), ``FIELDS`` (every other field, wrong),
``RAW`` (bodies, media types, methods and paths sent through an HTTP client) and ``WIRE``
(bytes on a socket that no HTTP client would send). ``BODIES`` (every JSON body of the first
two) is also read by ``tests/corpus_texts.py``, which runs their texts through an engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.adapters.openai.support import RunningAdapter
from tests.adapters.openai.test_http_guard import exchange

GOOD = {"model": "tts-1", "voice": "alloy", "input": "Fine.", "response_format": "pcm"}
SPOKEN = "spoken"
"""Expected outcome of a case that is valid after all: 200 and audio."""

DOCUMENTED = {
    "missing_required_parameter", "string_above_max_length", "string_below_min_length",
    "empty_input", "decimal_below_min_value", "decimal_above_max_value", "invalid_type",
    "invalid_value", "voice_not_found", "invalid_request", "model_not_found", "invalid_json",
    "payload_too_large", "not_found", "method_not_allowed", "unsupported_media_type",
    "text_too_long", "invalid_http", "headers_too_large",
}  # fmt: skip
LEAKS = re.compile(
    r"Traceback|File \"|\w+(Error|Exception)\b|\w+\(|<\w+ object|object at 0x|pydantic"
    r"|site-packages|\.py\b|\\x[0-9a-f]{2}|b'"
)
"""Internal text: a traceback, an exception class or repr, a file path, a bytes repr."""


@dataclass(frozen=True)
class Case:
    """One request and what it must get: ``code`` (documented, at ``status``) or SPOKEN."""

    name: str
    body: Any
    code: str
    status: int = 400


RUSSIAN = "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430?"
MISSING = "missing_required_parameter"


def without(field: str) -> dict[str, Any]:
    return {key: value for key, value in GOOD.items() if key != field}


C0 = "".join(map(chr, range(32)))
C1 = "".join(map(chr, range(127, 160)))
ARABIC = "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645."

TEXTS = [
    Case("empty", "", "empty_input"),
    Case("only spaces", "     ", "empty_input"),
    Case("only tabs, newlines and unicode spaces", "\t\n\r\u00a0\u2003\u3000", "empty_input"),
    Case("only punctuation", "?!.,;:", "empty_input"),
    Case("only control codes", "\x1b[31m\x00\x07", "empty_input"),
    Case("only zero-width characters", "\u200b\u200c\u200d\ufeff", "empty_input"),
    Case("only tags", "<speak><break time='1s'/></speak>", "empty_input"),
    Case("only emoji", "\U0001f600\U0001f44d\U0001f3b5", "empty_input"),
    Case("only private-use characters", "\ue000\uf8ff", "empty_input"),
    Case("huge", "word " * 2000, "string_above_max_length"),
    Case("Chinese", "你好\uff0c世界\u3002今天天气很好\u3002", "invalid_request"),
    Case("Russian", RUSSIAN, "invalid_request"),
    Case("Arabic, right to left", ARABIC, "invalid_request"),
    Case("NUL inside a sentence", "Hello\u0000world.", SPOKEN),
    Case("lone high surrogate", "Hello \ud800 there.", SPOKEN),
    Case("lone low surrogate at the end", "Good night.\udfff", SPOKEN),
    Case("ANSI colour codes around words", "\x1b[1;31mRed\x1b[0m alert.", SPOKEN),
    Case("right-to-left override", "\u202eHello world.\u202c", SPOKEN),
    Case("combining accents", "Cafe\u0301 au lait, s\u0327il vous pla\u0131\u0302t.", SPOKEN),
    Case("stacked combining marks", "H\u0338\u0321e\u0334l\u0337l\u0338o\u0335 there.", SPOKEN),
    Case("words and emoji", "Pizza \U0001f355 is ready.", SPOKEN),
    Case("every C0 and C1 control code around words", f"{C0}Fine{C1} words.", SPOKEN),
]
FIELDS = [
    Case("empty object", {}, MISSING),
    Case("a list", [GOOD], "invalid_json"),
    Case("a string", "Hello", "invalid_json"),
    Case("a number", 42, "invalid_json"),
    Case("null", None, "invalid_json"),
    Case("input missing", without("input"), MISSING),
    Case("input null", GOOD | {"input": None}, "invalid_value"),
    Case("input number", GOOD | {"input": 42}, "invalid_value"),
    Case("input boolean", GOOD | {"input": True}, "invalid_value"),
    Case("input list", GOOD | {"input": ["a", "b"]}, "invalid_value"),
    Case("input object", GOOD | {"input": {"text": "Fine."}}, "invalid_value"),
    Case("voice missing", without("voice"), MISSING),
    Case("voice empty", GOOD | {"voice": ""}, "string_below_min_length"),
    Case("voice unknown", GOOD | {"voice": "no-such-voice"}, "voice_not_found"),
    Case("voice null", GOOD | {"voice": None}, "invalid_value"),
    Case("voice number", GOOD | {"voice": 7}, "invalid_value"),
    Case("voice boolean", GOOD | {"voice": False}, "invalid_value"),
    Case("voice list", GOOD | {"voice": ["alloy"]}, "invalid_value"),
    Case("voice object without id", GOOD | {"voice": {"name": "alloy"}}, MISSING),
    Case("voice object with empty id", GOOD | {"voice": {"id": ""}}, "string_below_min_length"),
    Case("voice object with unknown id", GOOD | {"voice": {"id": "nobody"}}, "voice_not_found"),
    Case("voice bad speaker", GOOD | {"voice": "en_US-joe-medium:nobody"}, "invalid_request"),
    Case("model missing", without("model"), MISSING),
    Case("model empty", GOOD | {"model": ""}, "string_below_min_length"),
    Case("model unknown", GOOD | {"model": "tts-9000"}, "model_not_found"),
    Case("model number", GOOD | {"model": 1}, "invalid_value"),
    Case("model object", GOOD | {"model": {"id": "tts-1"}}, "invalid_value"),
    Case("format unknown", GOOD | {"response_format": "ogg"}, "invalid_value"),
    Case("format in capitals", GOOD | {"response_format": "PCM"}, "invalid_value"),
    Case("format number", GOOD | {"response_format": 3}, "invalid_value"),
    Case("format null", GOOD | {"response_format": None}, "invalid_value"),
    Case("stream format unknown", GOOD | {"stream_format": "websocket"}, "invalid_value"),
    Case("stream format boolean", GOOD | {"stream_format": True}, "invalid_value"),
    Case("speed zero", GOOD | {"speed": 0}, "decimal_below_min_value"),
    Case("speed negative", GOOD | {"speed": -1}, "decimal_below_min_value"),
    Case("speed huge", GOOD | {"speed": 1e9}, "decimal_above_max_value"),
    Case("speed string", GOOD | {"speed": "1.5"}, "invalid_type"),
    Case("speed boolean", GOOD | {"speed": True}, "invalid_type"),
    Case("speed list", GOOD | {"speed": [1]}, "invalid_type"),
    Case("speed null", GOOD | {"speed": None}, "invalid_type"),
    Case("speed NaN literal", GOOD | {"speed": float("nan")}, "invalid_type"),
    Case("speed Infinity literal", GOOD | {"speed": float("inf")}, "invalid_type"),
    Case("speed -Infinity literal", GOOD | {"speed": float("-inf")}, "invalid_type"),
    Case("instructions huge", GOOD | {"instructions": "x" * 5000}, "string_above_max_length"),
    Case("instructions number", GOOD | {"instructions": 5}, "invalid_value"),
    Case("instructions null", GOOD | {"instructions": None}, SPOKEN),
    Case("language number", GOOD | {"language": 5}, "invalid_value"),
    Case("language unknown", GOOD | {"language": "xx_XX"}, SPOKEN),
    Case("speaker list", GOOD | {"speaker": ["a"]}, "invalid_value"),
    Case("speaker unknown", GOOD | {"speaker": "nobody"}, "invalid_request"),
    Case("cache not a boolean", GOOD | {"cache": "maybe"}, "invalid_value"),
    Case("priority unknown", GOOD | {"priority": "urgent"}, "invalid_value"),
    Case("unknown fields", GOOD | {"temperature": 0.7, "nested": {"a": [1, 2]}}, SPOKEN),
]
JSON = [Case(c.name, GOOD | {"input": c.body}, c.code, c.status) for c in TEXTS] + FIELDS
BODIES: list[tuple[str, Any]] = [(case.name, case.body) for case in JSON]
"""Every JSON body of the corpus, as (name, body)."""


@dataclass(frozen=True)
class Raw:
    """A request sent with an HTTP client: method, path, body bytes and media type."""

    name: str
    data: bytes
    code: str
    status: int = 400
    kind: str | None = "application/json"
    method: str = "POST"
    path: str = "/v1/audio/speech"


GOOD_JSON = json.dumps(GOOD).encode()
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=x"
TOO_LARGE = "payload_too_large"


def with_speed(literal: bytes) -> bytes:
    """GOOD with a ``speed`` written as this JSON literal."""
    return GOOD_JSON[:-1] + b', "speed": ' + literal + b"}"


RAW = [
    Raw("not JSON", b"{nope", "invalid_json"),
    Raw("truncated JSON", GOOD_JSON[:-9], "invalid_json"),
    Raw("trailing garbage", GOOD_JSON + b" and more", "invalid_json"),
    Raw("trailing comma", GOOD_JSON[:-1] + b", }", "invalid_json"),
    Raw("single quotes", GOOD_JSON.replace(b'"', b"'"), "invalid_json"),
    Raw("a comment", b"// the request\n" + GOOD_JSON, "invalid_json"),
    Raw("raw newline inside a string", GOOD_JSON.replace(b"Fine.", b"Fi\nne."), "invalid_json"),
    Raw("binary", bytes(range(256)) * 4, "invalid_json"),
    Raw("bad UTF-8", GOOD_JSON.replace(b"Fine.", b"\xff\xfe"), "invalid_json"),
    Raw("Latin-1 text", GOOD_JSON.replace(b"Fine.", "Café.".encode("latin-1")), "invalid_json"),
    Raw("UTF-8 BOM", b"\xef\xbb\xbf" + GOOD_JSON, SPOKEN),
    Raw("UTF-16 with BOM", json.dumps(GOOD).encode("utf-16"), SPOKEN),
    Raw("encoded surrogate bytes", GOOD_JSON.replace(b"Fine.", b"Fine\xed\xa0\x80."), SPOKEN),
    Raw("duplicate keys: the last wins", b'{"input": 5, ' + GOOD_JSON[1:], SPOKEN),
    Raw("deep nesting", b"[" * 5000 + b"]" * 5000, "invalid_json"),
    Raw("a 5000-digit number", with_speed(b"1" + b"0" * 5000), "invalid_json"),
    Raw("speed overflows to infinity", with_speed(b"1e999"), "invalid_type"),
    Raw("bare NaN", b"NaN", "invalid_json"),
    Raw("empty body", b"", MISSING),
    Raw("body over the size limit", b'{"input": "%s"}' % (b"a" * 1_100_000), TOO_LARGE, 413),
    Raw("form encoded", b"model=tts-1&voice=alloy&input=hi", "invalid_json", kind=FORM),
    Raw("JSON sent as text/plain", GOOD_JSON, "invalid_json", kind="text/plain"),
    Raw("multipart form", b"--x\r\n\r\nhi\r\n--x--\r\n", "invalid_json", kind=MULTIPART),
    Raw("no content type", GOOD_JSON, "invalid_json", kind=None),
    Raw("a +json media type", GOOD_JSON, SPOKEN, kind="application/vnd.voicebus+json"),
    Raw("GET the speech route", b"", "method_not_allowed", 405, method="GET"),
    Raw("PUT the speech route", GOOD_JSON, "method_not_allowed", 405, method="PUT"),
    Raw("unknown path", GOOD_JSON, "not_found", 404, path="/v1/audio/speak"),
    Raw("path traversal", b"", "not_found", 404, method="GET", path="/v1/%2e%2e/%2e%2e/etc/x"),
    Raw("encoded NUL in the path", GOOD_JSON, "not_found", 404, path="/v1/audio/speech%00"),
    Raw("a 6000-character path", b"", "not_found", 404, method="GET", path="/v1/" + "a" * 6000),
]

HEAD = b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
BAD_HTTP = "invalid_http"
HUGE = "headers_too_large"

WIRE = [
    Case("not HTTP at all", b"HELLO THERE\r\n\r\n", BAD_HTTP),
    Case("a space in the path", b"POST /v1/audio speech HTTP/1.1\r\nHost: x\r\n\r\n", BAD_HTTP),
    Case("a header without a colon", HEAD + b"Content-Type application/json\r\n\r\n", BAD_HTTP),
    Case("Content-Length not a number", HEAD + b"Content-Length: lots\r\n\r\n", BAD_HTTP),
    Case("two Content-Lengths", HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n", BAD_HTTP),
    Case("a 100 KB header", HEAD + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n", HUGE, 431),
    Case("broken chunked body", HEAD + b"Transfer-Encoding: chunked\r\n\r\nZZ\r\nhi\r\n", BAD_HTTP),
    Case("declared length too large", HEAD + b"Content-Length: 50000000\r\n\r\n", TOO_LARGE, 413),
]


def assert_clean_error(status: int, body: dict[str, Any], case: str, code: str) -> None:
    """A 4xx in OpenAI's shape with the expected documented code and no internal text."""
    assert 400 <= status < 500, (case, status, body)
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, (case, error)
    assert error["type"] == "invalid_request_error", (case, error)
    assert error["code"] == code and code in DOCUMENTED, (case, error)
    assert not LEAKS.search(error["message"]), (case, error)


def assert_answer(case: str, code: str, status: int, answer: Any) -> None:
    """``answer`` is an httpx response: audio for SPOKEN, else the expected error."""
    if code == SPOKEN:
        assert answer.status_code == 200, (case, answer.status_code, answer.text[:300])
        assert len(answer.content) > 4800, case  # more than 0.1 s of 24 kHz speech
        return
    assert answer.status_code == status, (case, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"] == "application/json", case
    assert_clean_error(answer.status_code, answer.json(), case, code)


async def check_still_serving(server: RunningAdapter) -> None:
    async with server.http() as http:
        good = await http.post("/v1/audio/speech", json=GOOD)
    assert good.status_code == 200 and len(good.content) > 4800


@pytest.mark.parametrize("case", JSON, ids=[case.name for case in JSON])
async def test_json_bodies(openai_server: RunningAdapter, case: Case) -> None:
    async with openai_server.http() as http:
        answer = await http.post(
            "/v1/audio/speech",
            content=json.dumps(case.body).encode(),
            headers={"Content-Type": "application/json"},
        )
    assert_answer(case.name, case.code, case.status, answer)
    await check_still_serving(openai_server)


@pytest.mark.parametrize("case", RAW, ids=[case.name for case in RAW])
async def test_raw_requests(openai_server: RunningAdapter, case: Raw) -> None:
    headers = {"Content-Type": case.kind} if case.kind else {}
    async with openai_server.http() as http:
        request = http.build_request(case.method, case.path, content=case.data, headers=headers)
        if case.kind is None:
            request.headers.pop("Content-Type", None)
        answer = await http.send(request)
    assert_answer(case.name, case.code, case.status, answer)
    await check_still_serving(openai_server)


@pytest.mark.parametrize("case", WIRE, ids=[case.name for case in WIRE])
async def test_bytes_on_the_wire(openai_server: RunningAdapter, case: Case) -> None:
    status, body, _ = await exchange(openai_server.adapter.port, case.body)
    assert status == case.status, (case.name, body)
    assert_clean_error(status, body, case.name, case.code)
    await check_still_serving(openai_server)
