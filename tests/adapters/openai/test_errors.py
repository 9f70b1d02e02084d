"""OpenAI adapter: errors reach the official SDK as its typed exceptions, fields set."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest

from hub.client import HubClient
from hub.contract.schemas import ControlAction, ControlCommand
from tests.adapters.openai.support import (
    MISSING_ENGINE,
    RunningAdapter,
    adapter_settings,
    running_adapter,
)
from tests.conftest import DEFAULT_VOICE, PrivateBus
from tests.helpers import assert_is_speech, wav_clip


async def speak(server: RunningAdapter, api_key: str = "unused", **fields: Any) -> bytes:
    request = {"model": "tts-1", "voice": "alloy", "input": "Hello.", "response_format": "pcm"}
    audio = await server.async_client(api_key).audio.speech.create(**(request | fields))
    return audio.content


async def bad_request(server: RunningAdapter, **fields: Any) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        await speak(server, **fields)
    error = caught.value
    assert error.status_code == 400
    assert error.type == "invalid_request_error"
    return error


async def test_unknown_voice_lists_the_voices(openai_server: RunningAdapter) -> None:
    error = await bad_request(openai_server, voice="no-such-voice")
    assert (error.code, error.param) == ("voice_not_found", "voice")
    assert "en_US-joe-medium" in error.message and "alloy" in error.message
    # An object voice reference goes through the same routing.
    error = await bad_request(openai_server, voice={"id": "nobody-here"})
    assert error.code == "voice_not_found"
    assert await speak(openai_server, voice={"id": "en_US-joe-medium"})


async def test_input_length_limit(openai_server: RunningAdapter) -> None:
    client = openai_server.async_client()
    accepted = ("Short words here. " * 300)[:4095] + "."
    assert len(accepted) == 4096
    async with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=accepted, response_format="pcm"
    ) as response:
        assert response.status_code == 200
        async for chunk in response.iter_bytes():
            assert chunk
            break  # accepted and speaking; hanging up cancels the rest
    error = await bad_request(openai_server, input=accepted + "x")
    assert (error.code, error.param) == ("string_above_max_length", "input")


@pytest.mark.parametrize(
    ("fields", "code", "param"),
    [
        ({"speed": 0.24}, "decimal_below_min_value", "speed"),
        ({"speed": 4.01}, "decimal_above_max_value", "speed"),
        ({"speed": "1.5"}, "invalid_type", "speed"),
        ({"speed": True}, "invalid_type", "speed"),
        ({"input": " ... !! "}, "empty_input", "input"),
        ({"input": ""}, "empty_input", "input"),
        ({"response_format": "ogg"}, "invalid_value", "response_format"),
        ({"stream_format": "websocket"}, "invalid_value", "stream_format"),
        ({"model": "tts-9000"}, "model_not_found", "model"),
        ({"voice": "en_US-joe-medium:nobody"}, "invalid_request", "voice"),
    ],
)
async def test_bad_fields(
    openai_server: RunningAdapter, fields: dict[str, Any], code: str, param: str
) -> None:
    error = await bad_request(openai_server, **fields)
    assert (error.code, error.param) == (code, param), error.message
    if param == "speed":
        assert error.message.endswith(
            "Invalid value for 'speed': speed must be a number from 0.25 to 4.0."
        )


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_speed_must_be_finite(openai_server: RunningAdapter, number: str) -> None:
    body = '{"model": "tts-1", "voice": "alloy", "input": "Hi there.", "speed": ' + number + "}"
    async with openai_server.http() as http:
        answer = await http.post(
            "/v1/audio/speech", content=body.encode(), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "message": "Invalid value for 'speed': speed must be a number from 0.25 to 4.0.",
        "type": "invalid_request_error",
        "param": "speed",
        "code": "invalid_type",
    }


async def test_missing_field_and_bad_json(openai_server: RunningAdapter) -> None:
    async with openai_server.http() as http:
        missing = await http.post("/v1/audio/speech", json={"model": "tts-1", "voice": "alloy"})
        garbage = await http.post(
            "/v1/audio/speech", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        unknown = await http.get("/v1/nothing-here")
        huge = await http.post(
            "/v1/audio/speech",
            content=b"x" * 1_100_000,
            headers={"Content-Type": "application/json"},
        )
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "message": "Missing required parameter: 'input'.",
        "type": "invalid_request_error",
        "param": "input",
        "code": "missing_required_parameter",
    }
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "invalid_json"
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"


async def test_no_engine_is_503_with_retry_after(empty_bus_server: RunningAdapter) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        await speak(empty_bus_server)
    error = caught.value
    assert error.status_code == 503
    assert error.code == "engine_unavailable"
    assert error.response.headers["retry-after"] == "5"
    assert "No worker" in error.message


async def test_engine_without_workers_is_503(openai_server: RunningAdapter) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        await speak(openai_server, model="gpu-hd")
    assert caught.value.status_code == 503
    assert caught.value.code == "engine_unavailable"
    assert MISSING_ENGINE in caught.value.message
    assert int(caught.value.response.headers["retry-after"]) > 0


async def test_api_keys(hub: HubClient) -> None:
    settings = adapter_settings(api_keys="first-key,second-key", provider_api_auth=False)
    async with running_adapter(settings, hub) as server:
        assert await speak(server, api_key="second-key")
        with pytest.raises(openai.AuthenticationError) as wrong:
            await speak(server, api_key="not-a-key")
        assert wrong.value.code == "invalid_api_key"
        # The sync client too, and model listing is guarded like speech.
        client = server.client("not-a-key")
        with pytest.raises(openai.AuthenticationError):
            await asyncio.to_thread(client.models.list)
        async with server.http() as http:
            missing = await http.post("/v1/audio/speech", json={})
            open_routes = [await http.get(path) for path in ("/health", "/metrics", "/tts/status")]
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.json()["error"]["code"] == "missing_api_key"
        assert [r.status_code for r in open_routes] == [200, 200, 200]


async def test_no_keys_means_no_auth(openai_server: RunningAdapter) -> None:
    assert await speak(openai_server, api_key="anything at all")


async def test_nul_and_lone_surrogates_are_dropped_not_500(
    openai_server: RunningAdapter, whisper: object
) -> None:
    # JSON escapes, so the body carries a real NUL and a lone surrogate (no UTF-8 can).
    body = (
        '{"model": "tts-1", "voice": "alloy", "response_format": "pcm",'
        ' "input": "Hello\\u0000 there, my \\ud800 friend."}'
    )
    async with openai_server.http() as http:
        answer = await http.post(
            "/v1/audio/speech", content=body.encode(), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 200, answer.text
    assert_is_speech(answer.content, 24000, "Hello there, my friend.", whisper)


async def test_a_script_the_voice_cannot_read_is_a_clear_400(openai_server: RunningAdapter) -> None:
    error = await bad_request(openai_server, input="你好\uff0c世界\u3002今天天气很好\u3002")
    assert (error.code, error.param) == ("invalid_request", "input")
    assert "the text is mostly Han script, which voice en_US-joe-medium" in error.message


async def test_a_voice_object_is_told_what_it_lacks(openai_server: RunningAdapter) -> None:
    """``voice`` is a name or ``{"id": ...}``: an object hears what is wrong inside it, not
    "should be a valid string" from the first branch of the union."""
    error = await bad_request(openai_server, voice={"name": "alloy"})
    assert (error.code, error.param) == ("missing_required_parameter", "voice")
    assert error.message.endswith(" - Missing required parameter: 'voice.id'."), error.message
    error = await bad_request(openai_server, voice={"id": ""})
    assert (error.code, error.param) == ("string_below_min_length", "voice")
    assert " - Invalid value for 'voice.id': " in error.message, error.message


@pytest.mark.parametrize(
    "body",
    [b'{"input": "\xff\xfe"}', b"[" * 5000 + b"]" * 5000, b'{"speed": 1' + b"0" * 5000 + b"}"],
    ids=["not-utf8", "nested-too-deep", "too-many-digits"],
)
async def test_a_body_json_cannot_decode_is_invalid_json(
    openai_server: RunningAdapter, body: bytes
) -> None:
    async with openai_server.http() as http:
        answer = await http.post(
            "/v1/audio/speech", content=body, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_json", None)
    assert error["message"].startswith("Invalid request body: it is not JSON in UTF-8")


async def test_a_paused_engine_is_named_with_how_to_load_it(private_bus: PrivateBus) -> None:
    private_bus.engine()
    hub = await private_bus.client(voice=DEFAULT_VOICE)
    await hub.control("piper", ControlCommand(action=ControlAction.UNLOAD))
    async with running_adapter(adapter_settings(), hub) as server:
        with pytest.raises(openai.InternalServerError) as caught:
            await speak(server)
    assert caught.value.status_code == 503 and caught.value.code == "engine_unavailable"
    assert "Engine piper is unloaded (paused with 'voicebus engines unload')" in str(caught.value)
    assert "'voicebus engines load piper'" in str(caught.value)


async def test_a_cloned_voice_without_a_cloning_engine_says_so(private_bus: PrivateBus) -> None:
    private_bus.engine()
    hub = await private_bus.client(voice=DEFAULT_VOICE, voice_bucket=f"v-{private_bus.prefix}")
    library = await hub.library()
    await library.add("grandma", wav_clip(6.0), language="en")
    async with running_adapter(adapter_settings(), hub) as server:
        with pytest.raises(openai.InternalServerError) as caught:
            await speak(server, voice="grandma")
    assert caught.value.status_code == 503
    assert "Voice 'grandma' is a cloned voice, and no engine that clones" in str(caught.value)
