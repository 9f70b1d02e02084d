"""OpenAI adapter: models, voices, health, metrics, docs and the Voicebox provider routes."""

from __future__ import annotations

import asyncio
import base64

import openai
import pytest

from hub.audio import decode_to_pcm
from tests.adapters.openai.support import MISSING_ENGINE, RunningAdapter, speech_seconds
from tests.helpers import assert_is_speech


async def test_models_list_and_retrieve(openai_server: RunningAdapter) -> None:
    client = openai_server.client()
    listed = await asyncio.to_thread(client.models.list)
    models = {model.id: model for model in listed}
    assert {"tts-1", "tts-1-hd", "gpt-4o-mini-tts", "piper", "gpu-hd"} <= set(models)
    assert all(model.object == "model" and model.owned_by == "voicebus" for model in listed)
    assert models["piper"].model_extra == {"engine": "piper"}
    assert models["gpu-hd"].model_extra == {"engine": MISSING_ENGINE}
    retrieved = await openai_server.async_client().models.retrieve("tts-1")
    assert retrieved.id == "tts-1" and retrieved.created > 0
    with pytest.raises(openai.NotFoundError) as missing:
        await openai_server.async_client().models.retrieve("whisper-1")
    assert missing.value.code == "model_not_found"


async def test_an_engine_name_picks_that_engine(openai_server: RunningAdapter) -> None:
    audio = await openai_server.async_client().audio.speech.create(
        model="piper", voice="en_US-joe-medium", input="Hello there.", response_format="flac"
    )
    assert audio.response.headers["x-voicebus-engine"] == "piper"


async def test_voices_with_aliases(openai_server: RunningAdapter) -> None:
    async with openai_server.http() as http:
        answer = (await http.get("/v1/audio/voices")).json()
    joe = next(voice for voice in answer["data"] if voice["id"] == "en_US-joe-medium")
    assert joe["engine"] == "piper"
    assert joe["sample_rate"] == 22050
    assert joe["clones"] is False
    assert "en_US" in joe["languages"] and joe["speakers"] == []
    assert len(joe["aliases"]) == 13 and "alloy" in joe["aliases"]
    assert answer["aliases"]["cedar"] == "en_US-joe-medium"


async def test_health(openai_server: RunningAdapter, empty_bus_server: RunningAdapter) -> None:
    async with openai_server.http() as http:
        healthy = await http.get("/health")
    async with empty_bus_server.http() as http:
        empty = await http.get("/health")
    assert healthy.status_code == 200
    report = healthy.json()
    assert report["status"] == "ok" and report["bus_connected"] is True
    piper = next(engine for engine in report["engines"] if engine["name"] == "piper")
    assert piper["workers"] >= 1 and piper["warm"] >= 1 and piper["voices"] >= 1
    assert empty.status_code == 503
    assert empty.json()["status"] == "unavailable" and empty.json()["engines"] == []


async def test_metrics(openai_server: RunningAdapter) -> None:
    client = openai_server.async_client()
    await client.audio.speech.create(model="tts-1", voice="alloy", input="One. Two.")
    with pytest.raises(openai.BadRequestError):
        await client.audio.speech.create(model="tts-1", voice="nobody", input="Hi.")
    async with openai_server.http() as http:
        answer = await http.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert 'voicebus_openai_speech_total{delivery="audio",engine="piper",format="mp3"}' in text
    assert 'voicebus_openai_errors_total{code="voice_not_found",stage="request"}' in text
    assert 'voicebus_openai_time_to_first_byte_seconds_count{engine="piper",format="mp3"}' in text
    assert 'voicebus_openai_real_time_factor_bucket{engine="piper",format="mp3"' in text
    assert 'route="/v1/audio/speech",status="200"' in text
    # The app has its own registry: nothing from the process-wide default one.
    assert "python_gc_objects_collected_total" not in text


async def test_openapi_docs(openai_server: RunningAdapter) -> None:
    async with openai_server.http() as http:
        docs = await http.get("/docs")
        schema = (await http.get("/openapi.json")).json()
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert {"/v1/audio/speech", "/v1/models", "/tts/generate", "/health"} <= set(schema["paths"])


async def test_voicebox_provider_generate(openai_server: RunningAdapter) -> None:
    text = "Voicebox asked for this sentence. It comes back as a wave file."
    async with openai_server.http() as http:
        answer = await http.post(
            "/tts/generate",
            json={
                "text": text,
                "voice_prompt": {},
                "language": "en",
                "seed": 7,
                "model_size": "1.7B",
            },
        )
        by_name = await http.post("/tts/generate", json={"text": "Hi.", "voice": "alloy"})
        no_voice = await http.post("/tts/generate", json={"text": "Hallo.", "language": "de"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    wav = base64.b64decode(body["audio"])
    assert wav.startswith(b"RIFF")
    pcm, rate, channels = decode_to_pcm(wav, "wav")
    assert (rate, channels) == (body["sample_rate"], 1) == (22050, 1)
    assert body["duration"] == pytest.approx(speech_seconds(pcm, rate), abs=0.002)
    assert_is_speech(pcm, rate, text)
    assert by_name.status_code == 200
    assert no_voice.status_code == 400
    assert no_voice.json()["error"]["param"] == "language"


async def test_voicebox_provider_health_and_status(
    openai_server: RunningAdapter, empty_bus_server: RunningAdapter
) -> None:
    async with openai_server.http() as http:
        health = await http.get("/tts/health")
        status = await http.get("/tts/status")
        prompt = await http.post("/tts/create_voice_prompt")
    assert health.status_code == 200
    assert health.json() | {"version": None} == {
        "status": "healthy",
        "provider": "voicebus",
        "version": None,
        "model": "piper",
        "device": "cpu",
    }
    assert status.json() == {
        "model_loaded": True,
        "model_size": "piper",
        "available_sizes": ["piper"],
        "gpu_available": False,
        "vram_used_mb": None,
    }
    assert prompt.status_code == 501
    async with empty_bus_server.http() as http:
        down = await http.get("/tts/health")
    assert down.status_code == 503 and down.json()["status"] == "unhealthy"
