"""A corpus of bad REST input: every case gets a 4xx in OpenAI's shape with a documented
code and no internal text, and the next good request still works."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.adapters.openai.support import RunningAdapter

GOOD = {"model": "tts-1", "voice": "alloy", "input": "Fine.", "response_format": "pcm"}

DOCUMENTED = {
    "missing_required_parameter", "string_above_max_length", "string_below_min_length",
    "empty_input", "decimal_below_min_value", "decimal_above_max_value", "invalid_type",
    "invalid_value", "voice_not_found", "invalid_request", "model_not_found", "invalid_json",
    "payload_too_large", "not_found", "method_not_allowed", "unsupported_media_type",
    "text_too_long",
}  # fmt: skip
LEAKS = ("Traceback", "Error serializing", "KeyError", "ValueError", "pydantic", 'File "')

RUSSIAN = "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430?"

BODIES: list[tuple[str, Any]] = [
    ("empty object", {}),
    ("a list", [GOOD]),
    ("a string", "Hello"),
    ("null", None),
    ("input null", GOOD | {"input": None}),
    ("input number", GOOD | {"input": 42}),
    ("input list", GOOD | {"input": ["a", "b"]}),
    ("input only spaces", GOOD | {"input": "     "}),
    ("input only punctuation", GOOD | {"input": "?!.,;:"}),
    ("input only control codes", GOOD | {"input": "\x1b[31m\x00\x07"}),
    ("input only tags", GOOD | {"input": "<speak><break time='1s'/></speak>"}),
    ("input huge", GOOD | {"input": "word " * 2000}),
    ("input in Chinese", GOOD | {"input": "你好\uff0c世界\u3002今天天气很好\u3002"}),
    ("input in Russian", GOOD | {"input": RUSSIAN}),
    ("voice empty", GOOD | {"voice": ""}),
    ("voice unknown", GOOD | {"voice": "no-such-voice"}),
    ("voice number", GOOD | {"voice": 7}),
    ("voice object without id", GOOD | {"voice": {"name": "alloy"}}),
    ("voice bad speaker", GOOD | {"voice": "en_US-joe-medium:nobody"}),
    ("model empty", GOOD | {"model": ""}),
    ("model unknown", GOOD | {"model": "tts-9000"}),
    ("model number", GOOD | {"model": 1}),
    ("format unknown", GOOD | {"response_format": "ogg"}),
    ("format number", GOOD | {"response_format": 3}),
    ("stream format unknown", GOOD | {"stream_format": "websocket"}),
    ("speed zero", GOOD | {"speed": 0}),
    ("speed negative", GOOD | {"speed": -1}),
    ("speed huge", GOOD | {"speed": 1e9}),
    ("speed string", GOOD | {"speed": "1.5"}),
    ("speed boolean", GOOD | {"speed": True}),
    ("speed list", GOOD | {"speed": [1]}),
    ("instructions huge", GOOD | {"instructions": "x" * 5000}),
    ("instructions number", GOOD | {"instructions": 5}),
    ("language number", GOOD | {"language": 5}),
    ("speaker list", GOOD | {"speaker": ["a"]}),
]
RAW: list[tuple[str, bytes, str]] = [
    ("not JSON", b"{nope", "application/json"),
    ("binary", bytes(range(256)) * 4, "application/json"),
    ("bad UTF-8", b'{"model": "tts-1", "voice": "alloy", "input": "\xff\xfe"}', "application/json"),
    ("form encoded", b"model=tts-1&voice=alloy&input=hi", "application/x-www-form-urlencoded"),
    ("empty body", b"", "application/json"),
    ("deep nesting", b"[" * 5000 + b"]" * 5000, "application/json"),
]


def assert_clean_error(status: int, body: dict[str, Any], case: str) -> None:
    assert 400 <= status < 500, (case, status, body)
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, (case, error)
    assert error["type"] == "invalid_request_error", (case, error)
    assert error["code"] in DOCUMENTED, (case, error)
    assert not any(leak in error["message"] for leak in LEAKS), (case, error)


async def check_still_serving(server: RunningAdapter) -> None:
    async with server.http() as http:
        good = await http.post("/v1/audio/speech", json=GOOD)
    assert good.status_code == 200 and len(good.content) > 4800


@pytest.mark.parametrize(("case", "body"), BODIES, ids=[case for case, _ in BODIES])
async def test_bad_bodies(openai_server: RunningAdapter, case: str, body: Any) -> None:
    async with openai_server.http() as http:
        answer = await http.post(
            "/v1/audio/speech",
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
    assert_clean_error(answer.status_code, answer.json(), case)
    await check_still_serving(openai_server)


@pytest.mark.parametrize(("case", "data", "kind"), RAW, ids=[case for case, _, _ in RAW])
async def test_bad_raw_requests(
    openai_server: RunningAdapter, case: str, data: bytes, kind: str
) -> None:
    async with openai_server.http() as http:
        answer = await http.post("/v1/audio/speech", content=data, headers={"Content-Type": kind})
    assert_clean_error(answer.status_code, answer.json(), case)
    await check_still_serving(openai_server)
