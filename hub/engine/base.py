"""What an engine is: a small object the shared runner serves on the bus.

An engine loads its model once and answers two questions: which voices it has, and the PCM
for one request. Everything else (NATS, threads, cancellation, errors, discovery) is the
runner's job, so a new backend is one class.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from hub.contract.errors import VoiceNotFoundError
from hub.contract.schemas import EngineCapabilities, SynthesisRequest, VoiceInfo


@runtime_checkable
class Engine(Protocol):
    name: str
    """Engine name: the subject token and queue group (``piper``, ``xtts``, ...)."""
    version: str
    capabilities: EngineCapabilities
    """``speed`` here means a speed of the engine's own: without it (``speed=False``) the runner
    time-stretches the audio, so every worker announces ``speed`` true."""
    device: str

    def voices(self) -> list[VoiceInfo]:
        """Every voice this engine serves."""
        ...

    def synthesize(self, request: SynthesisRequest) -> Iterator[bytes]:
        """Blocking: yield mono s16le PCM at the voice's sample rate, as it is made.

        Runs in a worker thread. Raise a ``hub.contract.errors.VoicebusError`` subclass for errors
        the client should see typed; anything else becomes ``internal``.
        """
        ...


def find_voice(engine: Engine, name: str) -> VoiceInfo:
    """The engine's voice called ``name``, or a typed error listing the voices it has."""
    voices = engine.voices()
    for voice in voices:
        if voice.name == name:
            return voice
    raise VoiceNotFoundError(name, [voice.name for voice in voices])
