"""Remote engine: any OpenAI-compatible TTS server behind the bus.

Point it at OpenAI itself, Kokoro-FastAPI, speaches, a Chatterbox server, or another voicebus:
requests become ``POST {url}/audio/speech`` with ``response_format=pcm`` (or ``wav``), and the
upstream's audio is streamed onto the bus as it arrives. With ``remote_api=voicebox`` it
speaks the provider API of desktop TTS apps instead (``POST {url}/tts/generate``, a whole
base64 WAV per sentence). One process serves one upstream; run several under different
``engine_name``s. Standard library only (urllib), so the engine needs no extra packages.

    VOICEBUS_ENGINE_NAME=kokoro VOICEBUS_REMOTE_URL=http://kokoro:8880/v1 \\
    VOICEBUS_REMOTE_VOICES='["af_bella", "am_adam"]' voicebus engine remote
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.client import HTTPResponse
from typing import Literal

from pydantic import Field, SecretStr

from hub.audio import AudioConverter, AudioSpec, decode_to_pcm
from hub.contract.errors import (
    EngineOverloadedError,
    EngineUnavailableError,
    InvalidRequestError,
    SynthesisTimeoutError,
    VoicebusError,
    VoiceNotFoundError,
)
from hub.contract.schemas import EngineCapabilities, SynthesisRequest, VoiceInfo
from hub.engine.runner import RunnerSettings
from hub.plugins import EnginePlugin

_LOGGER = logging.getLogger(__name__)

PLUGIN = EnginePlugin(
    name="remote",
    settings="engines.remote:RemoteSettings",
    factory="engines.remote:RemoteEngine",
    description="any OpenAI-compatible (or Voicebox) TTS server, over HTTP",
)
_READ_BYTES = 8192


class RemoteSettings(RunnerSettings):
    remote_url: str = Field(
        default="http://127.0.0.1:8880/v1", description="Base URL of the upstream, ending in /v1."
    )
    remote_api_key: SecretStr | None = Field(default=None, description="Bearer key upstream.")
    remote_model: str = "tts-1"
    remote_voices: list[str] = Field(default_factory=lambda: ["alloy"])
    remote_languages: list[str] = Field(default_factory=lambda: ["en"])
    remote_api: Literal["openai", "voicebox"] = Field(
        default="openai", description="openai: {url}/audio/speech; voicebox: {url}/tts/generate."
    )
    remote_format: Literal["pcm", "wav"] = "pcm"
    remote_sample_rate: int = Field(default=24000, description="Rate of the upstream's PCM.")
    remote_timeout: float = Field(default=30.0, gt=0, description="Connect and read timeout.")
    remote_speed: Literal["upstream", "stretch"] = Field(
        default="upstream",
        description="upstream: send speed on; stretch: ask the upstream for speed 1 and let the "
        "runner time-stretch (for upstreams that ignore speed or are not proportional).",
    )


class RemoteEngine:
    name = "remote"
    version = "1"
    capabilities = EngineCapabilities(streaming=True, cloning=False, instructions=True, speed=True)
    device = "remote"

    def __init__(self, settings: RemoteSettings) -> None:
        self.settings = settings
        if settings.remote_speed == "stretch":  # no speed of its own: the runner stretches
            self.capabilities = self.capabilities.model_copy(update={"speed": False})
        host = settings.remote_url.split("//", 1)[-1].split("/", 1)[0]
        self._voices = [
            VoiceInfo(
                name=voice,
                languages=list(settings.remote_languages),
                description=f"{voice} from the TTS server at {host}",
                sample_rate=settings.remote_sample_rate,
            )
            for voice in settings.remote_voices
        ]

    def voices(self) -> list[VoiceInfo]:
        return list(self._voices)

    def synthesize(self, request: SynthesisRequest) -> Iterator[bytes]:
        if request.voice not in self.settings.remote_voices:
            raise VoiceNotFoundError(request.voice, list(self.settings.remote_voices))
        if self.settings.remote_api == "voicebox":
            yield self._generate_whole(request)
            return
        response = self._open(request)
        try:
            if self.settings.remote_format == "wav":
                _skip_wav_header(response)
            # The upstream's PCM is at our rate: the converter only keeps samples whole.
            rate = self.settings.remote_sample_rate
            samples = AudioConverter.for_spec(AudioSpec("pcm"), rate)
            while data := _read(response):
                yield from samples.convert(data, rate)
        finally:
            response.close()

    def _generate_whole(self, request: SynthesisRequest) -> bytes:
        """The provider API answers one complete WAV as base64 in JSON."""
        body = {
            "text": request.text,
            "voice": request.voice,
            "voice_prompt": {"voice": request.voice},
            "language": request.language or (self.settings.remote_languages or ["en"])[0],
            "speed": self._upstream_speed(request),
        }
        with self._post("/tts/generate", body, accept="application/json") as response:
            try:
                answer = json.loads(response.read())
                wav = base64.b64decode(answer["audio"])
            except (ValueError, KeyError, TypeError) as error:
                raise EngineUnavailableError(f"the upstream sent a bad answer: {error}") from None
        return _wav_pcm(wav, self.settings.remote_sample_rate)

    def _open(self, request: SynthesisRequest) -> HTTPResponse:
        body = {
            "model": self.settings.remote_model,
            "input": request.text,
            "voice": request.voice,
            "response_format": self.settings.remote_format,
            "speed": self._upstream_speed(request),
        }
        if request.instructions:
            body["instructions"] = request.instructions
        return self._post("/audio/speech", body, accept="application/octet-stream")

    def _upstream_speed(self, request: SynthesisRequest) -> float:
        return request.speed if self.capabilities.speed else 1.0

    def _post(self, path: str, body: dict[str, object], accept: str) -> HTTPResponse:
        headers = {"Content-Type": "application/json", "Accept": accept}
        if self.settings.remote_api_key:
            headers["Authorization"] = f"Bearer {self.settings.remote_api_key.get_secret_value()}"
        http_request = urllib.request.Request(
            self.settings.remote_url.rstrip("/") + path,
            data=json.dumps(body).encode(),
            headers=headers,
            method="POST",
        )
        try:
            response: HTTPResponse = urllib.request.urlopen(
                http_request, timeout=self.settings.remote_timeout
            )
            return response
        except urllib.error.HTTPError as error:
            raise _upstream_error(error) from None
        except TimeoutError:
            raise SynthesisTimeoutError("the upstream TTS server did not answer in time") from None
        except urllib.error.URLError as error:
            raise EngineUnavailableError(
                f"cannot reach the upstream TTS server: {error.reason}",
                f"check remote_url ({self.settings.remote_url})",
            ) from None


def _read(response: HTTPResponse) -> bytes:
    try:
        return response.read1(_READ_BYTES)
    except TimeoutError:
        raise SynthesisTimeoutError("the upstream TTS server stalled mid-stream") from None


def _skip_wav_header(response: HTTPResponse) -> None:
    """Consume a (streaming) WAV header up to the start of the ``data`` chunk."""
    header = response.read(12)
    if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        raise EngineUnavailableError("the upstream sent something that is not WAV")
    while True:
        chunk_header = response.read(8)
        if len(chunk_header) < 8:
            raise EngineUnavailableError("the upstream WAV has no data chunk")
        size = int.from_bytes(chunk_header[4:8], "little")
        if chunk_header[:4] == b"data":
            return
        response.read(size + size % 2)


def _wav_pcm(wav: bytes, rate: int) -> bytes:
    """Mono 16-bit PCM at ``rate`` from a whole WAV file (any sample width or rate)."""
    try:
        pcm, source_rate, channels = decode_to_pcm(wav, "wav")
    except ValueError as error:  # UndecodableAudioError included
        raise EngineUnavailableError(f"the upstream sent a bad WAV: {error}") from None
    converter = AudioConverter.for_spec(AudioSpec("pcm", rate=rate), source_rate, channels)
    return b"".join([*converter.convert(pcm, source_rate), *converter.flush()])


def _upstream_error(error: urllib.error.HTTPError) -> VoicebusError:
    try:
        detail = json.loads(error.read() or b"{}").get("error", {})
        message = detail.get("message") if isinstance(detail, dict) else str(detail)
    except ValueError:
        message = None
    text = f"upstream answered {error.code}: {message or error.reason}"
    if error.code in (401, 403):
        return EngineUnavailableError(text, "check remote_api_key")
    if error.code == 429:
        return EngineOverloadedError(text, "the upstream is rate limiting; retry later")
    if error.code in (400, 404, 413, 422):
        return InvalidRequestError(text)
    return EngineUnavailableError(text)
