"""Which voice answers a Wyoming request.

Home Assistant shows no error text for TTS, so a request is served whenever possible:
an unknown voice or speaker falls back to the default voice (with a warning in the log),
and a language-only request gets the best voice for that language. Only when not even
the default voice is on the bus does the request fail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from wyoming.tts import SynthesizeVoice

from hub.client import HubClient, VoiceRoute
from hub.client.call_policy import bus_unreachable
from hub.contract.errors import VoiceNotFoundError

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceChoice:
    route: VoiceRoute
    speaker: str | None = None
    language: str | None = None


async def choose_voice(hub: HubClient, wanted: SynthesizeVoice | None) -> VoiceChoice:
    """The route (and speaker) for a request's ``voice``; raises VoiceNotFoundError only
    when the default voice is not available either (the bus being unreachable, when that
    is why)."""
    try:
        return await _choose(hub, wanted)
    except VoiceNotFoundError:
        if not hub.connected:  # discovery dropped every worker: say why
            raise bus_unreachable() from None
        raise


async def _choose(hub: HubClient, wanted: SynthesizeVoice | None) -> VoiceChoice:
    name = wanted.name if wanted else None
    language = wanted.language if wanted else None
    if name:
        route = await _by_name(hub, name)
        speaker = wanted.speaker if wanted and route.voice.name == name else None
        return VoiceChoice(route, _check_speaker(route, speaker))
    if language:
        return VoiceChoice(await _by_language(hub, language), language=language)
    return VoiceChoice(await hub.wait_for_voice())


async def _by_name(hub: HubClient, name: str) -> VoiceRoute:
    try:
        return await hub.wait_for_voice(name)
    except VoiceNotFoundError:
        route = await hub.wait_for_voice()
        _LOGGER.warning("unknown voice %r requested; using %s instead", name, route.voice.name)
        return route


async def _by_language(hub: HubClient, language: str) -> VoiceRoute:
    try:
        return await hub.wait_for_voice(language=language)
    except VoiceNotFoundError:
        route = await hub.wait_for_voice()
        _LOGGER.warning("no voice for language %r; using %s instead", language, route.voice.name)
        return route


def _check_speaker(route: VoiceRoute, speaker: str | None) -> str | None:
    if not speaker:
        return None
    if speaker in route.voice.speakers:
        return speaker
    _LOGGER.warning(
        "voice %s has no speaker %r; using its default speaker", route.voice.name, speaker
    )
    return None
