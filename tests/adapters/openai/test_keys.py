"""API keys on the REST adapter, through the real SDK and httpx over a real socket: each
scope allowed and refused (401 for a missing, unknown or revoked key, 403 for a valid key
without the scope), static ``api_keys`` still all-powerful, and no secret ever logged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from pydantic import ValidationError

from adapters.openai.settings import OpenAISettings
from hub.keys import AuthMode
from hub.process.natsserver import NatsServer
from tests.adapters.openai.keys_support import SPEECH, KeyedBus, http, keyed_bus, known
from tests.adapters.openai.support import RunningAdapter
from tests.helpers import assert_is_speech

TEXT = "The library opens at nine tomorrow."


@pytest.fixture(scope="module")
async def keyed(nats_server: NatsServer, engine_logs: Path) -> AsyncIterator[KeyedBus]:
    async with keyed_bus(nats_server.url, engine_logs, "keys-scopes") as keyed:
        yield keyed


@pytest.fixture(scope="module")
async def server(keyed: KeyedBus) -> AsyncIterator[RunningAdapter]:
    async with keyed.adapter() as running:
        yield running


async def speak(server: RunningAdapter, key: str, text: str = TEXT) -> bytes:
    audio = await server.async_client(key).audio.speech.create(input=text, **SPEECH)
    return audio.content


async def statuses(server: RunningAdapter, key: str | None) -> dict[str, int]:
    """What each kind of route answers this key (writes of unknown voices: past auth, 400)."""
    async with http(server, key) as client:
        answers = {
            "models": await client.get("/v1/models"),
            "voices": await client.get("/v1/audio/voices"),
            "clones": await client.get("/v1/voices"),
            "rename": await client.post("/v1/voices/nobody/rename", json={"name": "x"}),
            "delete": await client.delete("/v1/voices/nobody"),
            "provider": await client.get("/tts/status"),
            "health": await client.get("/health"),
        }
    return {route: answer.status_code for route, answer in answers.items()}


async def test_each_scope_is_allowed_and_refused(
    keyed: KeyedBus, server: RunningAdapter, whisper: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = {}
    for scope in ("speak", "voices", "admin"):
        record, tokens[scope] = await keyed.create(f"{scope}-key", scope)
        await known(server, record)

    assert_is_speech(await speak(server, tokens["speak"]), 24000, TEXT, whisper)
    assert await speak(server, tokens["admin"], "Hello.")
    with pytest.raises(openai.PermissionDeniedError) as denied:
        await speak(server, tokens["voices"])
    assert denied.value.status_code == 403
    assert denied.value.code == "insufficient_permissions"
    assert "Missing scopes: speak" in denied.value.message

    writes = {"rename": 400, "delete": 400}  # past the key check: no such voice (400)
    assert await statuses(server, tokens["speak"]) == {
        **{"models": 200, "voices": 200, "clones": 200, "provider": 200, "health": 200},
        **{"rename": 403, "delete": 403},
    }
    assert await statuses(server, tokens["voices"]) == {
        **{"models": 403, "voices": 200, "clones": 200, "provider": 403, "health": 200},
        **writes,
    }
    assert await statuses(server, tokens["admin"]) == {
        **{"models": 200, "voices": 200, "clones": 200, "provider": 200, "health": 200},
        **writes,
    }
    for token in tokens.values():
        assert token not in caplog.text
        assert token.split("_", 2)[2] not in caplog.text


async def test_missing_unknown_and_revoked_keys_are_401(
    keyed: KeyedBus, server: RunningAdapter
) -> None:
    record, token = await keyed.create("soon-revoked", "speak")
    await known(server, record)
    with pytest.raises(openai.AuthenticationError) as unknown:
        await speak(server, token[:-4] + "abcd")
    assert unknown.value.code == "invalid_api_key"
    async with http(server) as client:
        missing = await client.post("/v1/audio/speech", json={})  # 401 before the body's 400
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"] == {
        "message": "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
        "type": "invalid_request_error",
        "param": None,
        "code": "missing_api_key",
    }
    assert await statuses(server, None) == {
        **dict.fromkeys(("models", "voices", "clones", "rename", "delete", "provider"), 401),
        "health": 200,
    }

    await keyed.store.revoke("soon-revoked")
    await known(server, await keyed.store.find(record.id))  # within a second, or it fails
    with pytest.raises(openai.AuthenticationError) as revoked:
        await speak(server, token)
    assert revoked.value.code == "invalid_api_key" and "revoked" in revoked.value.message


async def test_static_api_keys_still_work_as_all_powerful_keys(keyed: KeyedBus) -> None:
    voices, voices_token = await keyed.create("static-side-voices", "voices")
    async with keyed.adapter(api_keys="sk-static-1,sk-static-2") as static:
        await known(static, voices)
        assert await speak(static, "sk-static-2", "Hello.")
        everything = {"rename": 400, "delete": 400, "health": 200}
        assert await statuses(static, "sk-static-1") == {
            **dict.fromkeys(("models", "voices", "clones", "provider"), 200),
            **everything,
        }
        with pytest.raises(openai.PermissionDeniedError):  # run-time keys keep their scopes
            await speak(static, voices_token)
        with pytest.raises(openai.AuthenticationError):
            await speak(static, "sk-static-3")


async def test_provider_routes_without_auth_stay_open(keyed: KeyedBus) -> None:
    async with keyed.adapter(provider_api_auth=False) as server, http(server) as client:
        assert (await client.get("/tts/status")).status_code == 200
        assert (await client.get("/v1/models")).status_code == 401


async def test_admins_manage_keys_over_rest(keyed: KeyedBus, server: RunningAdapter) -> None:
    admin, admin_token = await keyed.create("rest-admin", "admin")
    speaker, speaker_token = await keyed.create("rest-speaker", "speak")
    await known(server, admin, speaker)
    async with http(server, admin_token) as client:
        body = {"name": "made-over-rest", "scopes": ["speak"], "rate": "100/day"}
        created = await client.post("/v1/keys", json=body)
        assert created.status_code == 201, created.text
        token = created.json()["key"]
        assert created.json()["rate"] == {"limit": 100, "window_seconds": 86_400}
        listed = (await client.get("/v1/keys")).text
        assert "made-over-rest" in listed and token.split("_", 2)[2] not in listed
        assert "secret_hash" not in listed and "salt" not in listed

        again = await client.post("/v1/keys", json=body)
        assert again.status_code == 409 and again.json()["error"]["code"] == "key_exists"
        bad = await client.post("/v1/keys", json={**body, "name": "other", "chars": "9/eon"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "chars"
        no_scope = await client.post("/v1/keys", json={"name": "none", "scopes": []})
        assert no_scope.status_code == 400
        assert (await client.delete("/v1/keys/nobody")).status_code == 404

        record = await keyed.store.find("made-over-rest")
        await known(server, record)
        assert await speak(server, token, "Hello.")
        assert (await client.delete("/v1/keys/made-over-rest")).status_code == 200
    await known(server, await keyed.store.find(record.id))
    with pytest.raises(openai.AuthenticationError):
        await speak(server, token, "Hello.")
    async with http(server, speaker_token) as client:
        assert (await client.get("/v1/keys")).status_code == 403  # admin only


def test_the_auth_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert OpenAISettings().auth is AuthMode.AUTO
    monkeypatch.setenv("VOICEBUS_OPENAI_AUTH", "required")
    assert OpenAISettings().auth is AuthMode.REQUIRED
    with pytest.raises(ValidationError, match="'auto', 'required' or 'off'"):
        OpenAISettings(auth="sometimes")


async def test_the_docs_offer_the_bearer_scheme(server: RunningAdapter) -> None:
    async with http(server) as client:
        schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert schema["paths"]["/v1/audio/speech"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in schema["paths"]["/health"]["get"]
