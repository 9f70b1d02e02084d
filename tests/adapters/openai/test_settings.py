"""OpenAI adapter: where its settings come from, and how its server starts and stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx2
import pytest

from adapters.openai.app import OpenAIAdapter, create_app
from adapters.openai.settings import OPENAI_VOICES, OpenAISettings
from hub.client import HubClient
from tests.adapters.openai.support import RunningAdapter, adapter_settings


def test_defaults_map_every_openai_voice_to_the_default_voice() -> None:
    settings = OpenAISettings()
    assert (settings.host, settings.port, settings.max_input_chars) == ("127.0.0.1", 8000, 4096)
    assert settings.voice_map() == {name: "en_US-joe-medium" for name in OPENAI_VOICES}
    assert settings.model_map()["tts-1"] is None
    assert not settings.auth_enabled


def test_the_way_voicebus_up_builds_it() -> None:
    settings = OpenAISettings(host="0.0.0.0", port=9, wyoming_only_key=True)
    assert (settings.host, settings.port) == ("0.0.0.0", 9)
    assert not hasattr(settings, "nats_url")  # the hub client's business, not the adapter's


def test_environment_and_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "voicebus.toml"
    config.write_text(
        'port = 10200\nnats_url = "nats://shared:4222"\n'
        '[openai]\nport = 9001\nvoice_aliases = { alloy = "en_US-amy-medium" }\n'
    )
    monkeypatch.setenv("VOICEBUS_CONFIG", str(config))
    monkeypatch.setenv("VOICEBUS_OPENAI_API_KEYS", "sk-alpha-1, sk-beta-2")
    monkeypatch.setenv("VOICEBUS_OPENAI_VOICE_ALIASES__ECHO", "en_US-lessac-high")
    monkeypatch.setenv("VOICEBUS_OPENAI_MODEL_ALIASES__TTS-1-HD", "any")
    monkeypatch.setenv("VOICEBUS_PORT", "7000")  # a shared name: not the adapter's
    settings = OpenAISettings()
    assert settings.port == 9001  # only the [openai] table and VOICEBUS_OPENAI_* count
    assert settings.voice_map()["alloy"] == "en_US-amy-medium"
    assert settings.voice_map()["echo"] == "en_US-lessac-high"
    assert settings.model_map()["tts-1-hd"] is None
    assert settings.accepts_key("sk-beta-2") and not settings.accepts_key("sk-beta")
    assert "sk-alpha" not in repr(settings)  # keys are secrets
    config.write_text("port = 10200\n[wyoming]\nport = 10300\n")
    assert OpenAISettings().port == 8000  # nobody else's port lands here


async def test_port_in_use_is_a_clear_error(openai_server: RunningAdapter, hub: HubClient) -> None:
    adapter = OpenAIAdapter(adapter_settings(port=openai_server.adapter.port), hub)
    with pytest.raises(OSError, match=r"port \d+ is already taken by pid \d+"):
        await asyncio.wait_for(adapter.serve(asyncio.Event()), 10)


async def test_serve_returns_once_stop_is_set(hub: HubClient) -> None:
    adapter = OpenAIAdapter(adapter_settings(), hub)
    stop = asyncio.Event()
    task = asyncio.create_task(adapter.serve(stop))
    await adapter.wait_started()
    assert adapter.port > 0
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_cors_only_when_configured(hub: HubClient) -> None:
    preflight = {
        "Origin": "http://ui.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    for origins, allowed in (([], None), (["http://ui.example"], "http://ui.example")):
        app = create_app(adapter_settings(cors_origins=origins), hub)
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://adapter") as http:
            answer = await http.options("/v1/audio/speech", headers=preflight)
        assert answer.headers.get("access-control-allow-origin") == allowed
