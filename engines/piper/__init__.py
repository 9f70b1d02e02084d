"""Piper engine (piper-tts on onnxruntime): fast neural TTS on the CPU, with the bundled
``en_US-joe-medium`` voice and any Piper voices in ``voices_dir``. The engine is
:mod:`engines.piper.engine`, its settings :mod:`engines.piper.settings`."""

from hub.plugins import EnginePlugin

PLUGIN = EnginePlugin(
    name="piper",
    settings="engines.piper.settings:PiperSettings",
    factory="engines.piper.engine:PiperEngine",
    description="Piper on the CPU (bundled voice en_US-joe-medium)",
)
