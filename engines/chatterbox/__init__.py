"""Resemble AI Chatterbox engines (chatterbox-tts): ``chatterbox`` (English, with emotion
exaggeration and classifier-free guidance) and ``chatterbox-turbo`` (faster, GPT-2 based).

Run in their own environment (``make engine-env-chatterbox``):
``.venv-chatterbox/bin/voicebus engine chatterbox`` (or ``chatterbox-turbo``). Settings live in
:mod:`engines.chatterbox.settings` (no heavy imports), the engines in
:mod:`engines.chatterbox.engine`.
"""

from hub.plugins import EnginePlugin

PLUGIN = EnginePlugin(
    name="chatterbox",
    settings="engines.chatterbox.settings:ChatterboxSettings",
    factory="engines.chatterbox.engine:ChatterboxEngine",
    description="Resemble AI Chatterbox (English): voice cloning with emotion control",
    environment=".venv-chatterbox",
    make_target="engine-env-chatterbox",
)
TURBO_PLUGIN = EnginePlugin(
    name="chatterbox-turbo",
    settings="engines.chatterbox.settings:ChatterboxSettings",
    factory="engines.chatterbox.engine:ChatterboxTurboEngine",
    description="Resemble AI Chatterbox Turbo: faster voice cloning",
    environment=".venv-chatterbox",
    make_target="engine-env-chatterbox",
)
