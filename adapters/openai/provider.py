"""The Voicebox TTS provider API, so the Voicebox desktop app can use the hub remotely.

Voicebox (github.com/jamiepine/voicebox, ``providers/README.md``) runs its speech models in
"provider" servers it reaches over HTTP: ``POST /tts/generate`` answers JSON with a base64
WAV, ``GET /tts/health`` and ``GET /tts/status`` report readiness. Voicebox sends a
``voice_prompt`` (a cloning embedding) where voicebus needs a voice name, so the voice comes
from ``voice`` (a voicebus extension), else ``voice_prompt["voice"]`` or
``voice_prompt["name"]``, else the best voice for ``language``. ``seed`` and
``model_size`` are accepted and ignored; ``POST /tts/create_voice_prompt`` answers 501.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.metadata
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from adapters.openai.auth import charge_characters, require_provider_key
from adapters.openai.context import AdapterContext, Context
from adapters.openai.errors import ApiError
from adapters.openai.speech import check_input, open_stream
from hub.audio import wav_bytes
from hub.contract.schemas import EngineState

router = APIRouter(
    prefix="/tts", tags=["voicebox provider"], dependencies=[Depends(require_provider_key)]
)


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(description="Text to speak.")
    voice: str | None = Field(default=None, description="voicebus: hub voice or OpenAI alias.")
    voice_prompt: dict[str, Any] | None = Field(
        default=None, description="Voicebox's voice prompt; its 'voice' or 'name' key is used."
    )
    language: str | None = Field(default=None, description="Language code, e.g. en.")
    seed: int | None = Field(default=None, description="Accepted and ignored.")
    model_size: str | None = Field(default=None, description="Accepted and ignored.")
    speed: float = Field(default=1.0, ge=0.25, le=4.0, description="voicebus extension.")

    def voice_name(self) -> str | None:
        if self.voice:
            return self.voice
        prompt = self.voice_prompt or {}
        for key in ("voice", "name"):
            value = prompt.get(key)
            if isinstance(value, str) and value.strip():
                return value
        return None


class GenerateResponse(BaseModel):
    audio: str = Field(description="Base64 of a complete WAV file (16-bit mono).")
    sample_rate: int
    duration: float = Field(description="Seconds of audio.")


@router.post("/generate", summary="Generate speech (Voicebox provider API)")
async def generate(body: GenerateRequest, ctx: Context, request: Request) -> GenerateResponse:
    check_input(body.text, ctx.settings.max_generate_chars)
    name = body.voice_name()
    target = ctx.catalog.target(name) if name else None
    await charge_characters(request, len(body.text))
    stream = await open_stream(
        ctx, body.text, target, language=body.language, speed=body.speed, param="text"
    )
    async with stream:
        pcm = b"".join([chunk async for chunk in stream])
    loop = asyncio.get_running_loop()
    wav = await loop.run_in_executor(ctx.executor, wav_bytes, pcm, stream.sample_rate)
    return GenerateResponse(
        audio=base64.b64encode(wav).decode("ascii"),
        sample_rate=stream.sample_rate,
        duration=round(len(pcm) / (2 * stream.sample_rate), 3),
    )


def _engines(ctx: AdapterContext) -> tuple[list[str], list[str]]:
    """Warm engine names and their devices."""
    warm = [w for w in ctx.hub.workers() if w.state is EngineState.WARM]
    return sorted({w.engine for w in warm}), sorted({w.device for w in warm})


@router.get("/health", summary="Provider health (Voicebox provider API)")
async def provider_health(ctx: Context) -> JSONResponse:
    engines, devices = _engines(ctx)
    healthy = bool(engines) and ctx.hub.connected
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "provider": "voicebus",
        "version": importlib.metadata.version("voicebus"),
        "model": ",".join(engines) or None,
        "device": ",".join(devices) or None,
    }
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/status", summary="Model status (Voicebox provider API)")
async def provider_status(ctx: Context) -> dict[str, Any]:
    engines, devices = _engines(ctx)
    return {
        "model_loaded": bool(engines),
        "model_size": ",".join(engines) or None,
        "available_sizes": engines,
        "gpu_available": any(device != "cpu" for device in devices),
        "vram_used_mb": None,
    }


@router.post("/create_voice_prompt", summary="Not supported: answers 501")
async def create_voice_prompt() -> None:
    raise ApiError(
        501,
        "voicebus does not make voice prompts; name a hub voice instead "
        "('voice', or voice_prompt {'voice': <name>}). See GET /v1/audio/voices.",
        code="not_implemented",
    )
