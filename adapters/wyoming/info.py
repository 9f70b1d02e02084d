"""The ``info`` answer to ``describe``, built from live discovery each time it is asked.

One TTS program, ``voicebus``, lists every voice of every live engine once (by name, the
name Home Assistant sends back), with its languages, speakers and a description that
names the engine serving it. Streaming input is always supported.
"""

from __future__ import annotations

import importlib.metadata
from collections import defaultdict

from wyoming.info import Attribution, Info, TtsProgram, TtsVoice, TtsVoiceSpeaker

from hub.client import HubClient, VoiceRoute

PROGRAM_NAME = "voicebus"
PROGRAM_DESCRIPTION = "voicebus text-to-speech hub: every engine on one NATS bus"

_ENGINE_ATTRIBUTIONS = {
    "piper": Attribution(
        name="Piper (Open Home Foundation)", url="https://github.com/OHF-Voice/piper1-gpl"
    ),
}


def voicebus_version() -> str | None:
    try:
        return importlib.metadata.version("voicebus")
    except importlib.metadata.PackageNotFoundError:
        return None


def build_info(hub: HubClient) -> Info:
    """Info for the voices live on the bus right now."""
    versions = {engine: workers[0].engine_version for engine, workers in hub.engines().items()}
    by_name: dict[str, list[VoiceRoute]] = defaultdict(list)
    for route in hub.voices():
        by_name[route.voice.name].append(route)
    voices = [_voice(routes, versions) for _, routes in sorted(by_name.items())]
    program = TtsProgram(
        name=PROGRAM_NAME,
        attribution=Attribution(name="voicebus", url=""),
        installed=True,
        description=PROGRAM_DESCRIPTION,
        version=voicebus_version(),
        voices=voices,
        supports_synthesize_streaming=True,
    )
    return Info(tts=[program])


def _voice(routes: list[VoiceRoute], versions: dict[str, str]) -> TtsVoice:
    """One Wyoming voice for a voice name (served by one or more engines)."""
    voice = routes[0].voice
    engines = [route.engine for route in routes]
    return TtsVoice(
        name=voice.name,
        attribution=_ENGINE_ATTRIBUTIONS.get(engines[0], Attribution(name=engines[0], url="")),
        installed=True,
        description=describe_voice(voice.description or voice.name, engines),
        version=versions.get(engines[0]),
        languages=list(voice.languages),
        speakers=[TtsVoiceSpeaker(name=name) for name in voice.speakers] or None,
    )


def describe_voice(description: str, engines: list[str]) -> str:
    """``Piper joe (en_US, medium) - piper engine``: what Home Assistant's picker shows."""
    noun = "engine" if len(engines) == 1 else "engines"
    return f"{description} - {', '.join(engines)} {noun}"
