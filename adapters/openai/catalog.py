"""What clients may ask for: model names -> engines, voice names -> hub voices.

OpenAI's model names (``tts-1`` ...) are aliases of an engine or of "any engine"; an
engine's own name picks that engine. OpenAI's voice names (``alloy`` ...) are aliases of hub
voices; hub voice names work as they are, ``voice:speaker`` picks a speaker.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.openai.errors import ApiError, engine_unavailable, from_voicebus
from adapters.openai.settings import OpenAISettings
from hub.client import HubClient
from hub.client.call_policy import bus_unreachable
from hub.contract.errors import VoicebusError


@dataclass(frozen=True)
class VoiceTarget:
    requested: str
    voice: str
    speaker: str | None

    @property
    def described(self) -> str:
        if self.requested == self.voice:
            return repr(self.voice)
        return f"{self.requested!r} (alias of {self.voice!r})"


class Catalog:
    def __init__(self, settings: OpenAISettings, hub: HubClient) -> None:
        self.settings = settings
        self.hub = hub

    # ---- models ------------------------------------------------------------------------

    def live_engines(self) -> list[str]:
        return sorted(self.hub.engines())

    def models(self) -> dict[str, str | None]:
        """Every model id clients may send -> engine (None: any engine)."""
        listed = dict(self.settings.model_map())
        for engine in self.live_engines():
            listed.setdefault(engine, engine)
        return listed

    def engine_for(self, model: str) -> str | None:
        aliases = self.settings.model_map()
        if model in aliases:
            return aliases[model]
        if model in self.live_engines():
            return model
        if not self.settings.strict_models:
            return None
        known = ", ".join(self.models())
        raise ApiError(
            400,
            f"Unknown model {model!r}. Models: {known}.",
            code="model_not_found",
            param="model",
        )

    # ---- voices ------------------------------------------------------------------------

    def voice_aliases(self) -> dict[str, str]:
        return self.settings.voice_map()

    def aliases_of(self, voice: str) -> list[str]:
        return sorted(name for name, target in self.voice_aliases().items() if target == voice)

    def target(self, requested: str, speaker: str | None = None) -> VoiceTarget:
        """The hub voice (and speaker) a client's voice name stands for."""
        name = requested.strip()
        voice = self.voice_aliases().get(name.lower(), name)
        live = {route.voice.name for route in self.hub.voices()}
        if speaker is None and voice not in live and ":" in voice:
            voice, _, speaker = voice.rpartition(":")
        return VoiceTarget(requested=name, voice=voice, speaker=speaker or None)

    def _unavailable(self, engine: str | None, what: str) -> ApiError | None:
        """503 when no engine (of ``engine``) serves any voice at all, else None; it says
        whether the bus is unreachable, or the workers are paused, or not there at all."""
        if not self.hub.connected:  # discovery dropped every worker: say why
            return from_voicebus(bus_unreachable(), self.settings.retry_after)
        if any(engine is None or r.engine == engine for r in self.hub.voices()):
            return None
        paused = sorted({w.engine for w in self.hub.workers() if engine in (None, w.engine)})
        if paused:
            message = (
                f"Engine {', '.join(paused)} is unloaded (paused with 'voicebus engines "
                f"unload'), so {what} cannot be spoken; load it again with 'voicebus engines "
                f"load {paused[0]}'."
            )
        else:
            where = f"of engine {engine!r} " if engine else ""
            message = (
                f"No worker {where}is running, so {what} cannot be spoken; "
                "retry when an engine is up."
            )
        return engine_unavailable(message, self.settings.retry_after)

    def _voices(self, engine: str | None) -> str:
        names = {r.voice.name for r in self.hub.voices() if engine is None or r.engine == engine}
        return ", ".join(sorted(names))

    async def voice_error(self, target: VoiceTarget | None, engine: str | None) -> ApiError:
        """400 naming the voices there are (or saying that a cloned voice needs a cloning
        engine), or 503 when no engine serves any voice."""
        described = target.described if target else "the default voice"
        unavailable = self._unavailable(engine, f"voice {described}")
        if unavailable is not None:
            return unavailable
        if target is not None and await self._is_cloned(target.voice):
            message = (
                f"Voice {described} is a cloned voice, and no engine that clones voices "
                "(xtts, chatterbox) is running; start one, e.g. 'voicebus up --engine xtts'."
            )
            return engine_unavailable(message, self.settings.retry_after)
        aliases = ", ".join(sorted(self.voice_aliases()))
        message = (
            f"Unknown voice {described}. Available voices: {self._voices(engine)}. "
            f"Voice aliases: {aliases}."
        )
        return ApiError(400, message, code="voice_not_found", param="voice")

    async def _is_cloned(self, voice: str) -> bool:
        try:
            library = await self.hub.library()
            return any(meta.name == voice for meta in await library.list())
        except VoicebusError:  # no JetStream: then there is no library either
            return False

    def language_error(self, language: str, engine: str | None) -> ApiError:
        """400 when no voice speaks ``language``, or 503 when no engine serves any voice."""
        unavailable = self._unavailable(engine, f"language {language!r}")
        if unavailable is not None:
            return unavailable
        message = f"No voice speaks language {language!r}. Voices: {self._voices(engine)}."
        return ApiError(400, message, code="voice_not_found", param="language")
