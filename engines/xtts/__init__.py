"""Coqui XTTS v2 engine (coqui-tts): voice cloning in 17 languages, sub-sentence streaming.

Runs in its own environment (``make engine-env-xtts``): ``.venv-xtts/bin/voicebus engine xtts``.
The settings live in :mod:`engines.xtts.settings` (no heavy imports), the engine in
:mod:`engines.xtts.engine`.
"""

from hub.plugins import EnginePlugin

PLUGIN = EnginePlugin(
    name="xtts",
    settings="engines.xtts.settings:XttsSettings",
    factory="engines.xtts.engine:XttsEngine",
    description="Coqui XTTS v2: voice cloning in 17 languages",
    environment=".venv-xtts",
    make_target="engine-env-xtts",
)
