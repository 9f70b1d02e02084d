"""Resemble AI Chatterbox engines (chatterbox-tts): ``chatterbox`` (English, with emotion
exaggeration and classifier-free guidance) and ``chatterbox-turbo`` (faster, GPT-2 based).

Run in their own environment (``make engine-env-chatterbox``):
``.venv-chatterbox/bin/voicebus engine chatterbox`` (or ``chatterbox-turbo``). Settings live in
:mod:`engines.chatterbox.settings` (no heavy imports), the engines in
:mod:`engines.chatterbox.engine`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.plugins import EnginePlugin

if TYPE_CHECKING:
    from engines.chatterbox.engine import ChatterboxEngine
    from engines.chatterbox.settings import ChatterboxSettings


def build(settings: ChatterboxSettings) -> ChatterboxEngine:
    """Chatterbox: weights found (or pulled) before torch and the model load."""
    weights = settings.weights_location("chatterbox")
    from engines.chatterbox.engine import ChatterboxEngine

    return ChatterboxEngine(settings, weights=weights)


def build_turbo(settings: ChatterboxSettings) -> ChatterboxEngine:
    """Chatterbox Turbo: weights found (or pulled) before torch and the model load."""
    weights = settings.weights_location("chatterbox-turbo")
    from engines.chatterbox.engine import ChatterboxTurboEngine

    return ChatterboxTurboEngine(settings, weights=weights)


PLUGIN = EnginePlugin(
    name="chatterbox",
    settings="engines.chatterbox.settings:ChatterboxSettings",
    factory="engines.chatterbox:build",
    description="Resemble AI Chatterbox (English): voice cloning with emotion control",
    environment=".venv-chatterbox",
    make_target="engine-env-chatterbox",
)
TURBO_PLUGIN = EnginePlugin(
    name="chatterbox-turbo",
    settings="engines.chatterbox.settings:ChatterboxSettings",
    factory="engines.chatterbox:build_turbo",
    description="Resemble AI Chatterbox Turbo: faster voice cloning",
    environment=".venv-chatterbox",
    make_target="engine-env-chatterbox",
)
