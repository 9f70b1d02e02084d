"""Coqui XTTS v2 engine (coqui-tts): voice cloning in 17 languages, sub-sentence streaming.

Runs in its own environment (``make engine-env-xtts``): ``.venv-xtts/bin/voicebus engine xtts``.
The settings live in :mod:`engines.xtts.settings` (no heavy imports), the engine in
:mod:`engines.xtts.engine`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.plugins import EnginePlugin

if TYPE_CHECKING:
    from engines.xtts.engine import XttsEngine
    from engines.xtts.settings import XttsSettings


def build(settings: XttsSettings) -> XttsEngine:
    """Find (or, with ``auto_pull``, pull) the weights, then load torch and the model: a
    missing checkpoint is reported at once, not after the model packages have loaded."""
    weights = settings.weights_location("xtts")
    from engines.xtts.engine import XttsEngine

    return XttsEngine(settings, weights=weights)


PLUGIN = EnginePlugin(
    name="xtts",
    settings="engines.xtts.settings:XttsSettings",
    factory="engines.xtts:build",
    description="Coqui XTTS v2: voice cloning in 17 languages",
    environment=".venv-xtts",
    make_target="engine-env-xtts",
)
