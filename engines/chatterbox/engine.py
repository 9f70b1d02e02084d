"""The Chatterbox engines: cloned voices from the voice library plus the checkpoint's built-in
voice (``conds.pt``).

``ChatterboxTTS.from_local`` / ``ChatterboxTurboTTS.from_local`` load a local directory or the
model store, offline (``voicebus models pull chatterbox`` fills it; with ``auto_pull`` the
engine pulls the weights itself). Conditioning is made once per reference clip with the model's own
``prepare_conditionals`` and kept in a bounded LRU. The model keeps its conditioning as state,
so one lock serialises conditioning and generation in a worker.
"""

from __future__ import annotations

import importlib.metadata
import logging
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

try:
    import torch
    from chatterbox.tts import ChatterboxTTS, Conditionals
    from chatterbox.tts_turbo import ChatterboxTurboTTS
except ImportError as error:  # the main venv has no torch, by design
    raise ImportError(
        f"the chatterbox engines need their own environment ({error}); build it with "
        "'make engine-env-chatterbox' and run '.venv-chatterbox/bin/voicebus engine chatterbox'"
    ) from error

from engines.chatterbox.settings import ChatterboxSettings
from engines.cloning import ConditioningCache, LibraryView, language_code, tensor_bytes
from engines.torch_device import human_bytes, memory_bytes, resolve_device, seed_everything
from engines.torch_device import to_pcm as float_to_pcm
from hub.contract.errors import InvalidRequestError, VoiceNotFoundError
from hub.contract.schemas import EngineCapabilities, SynthesisRequest, VoiceInfo
from hub.store.library import ClonedVoiceMeta, write_wav

_LOGGER = logging.getLogger(__name__)

LANGUAGES = ["en"]


class ChatterboxEngine:
    """Chatterbox (English): exaggeration and cfg weight from the settings.

    It has no speed of its own (``speed=False``): the runner time-stretches its audio."""

    name = "chatterbox"
    capabilities = EngineCapabilities(
        streaming=False, cloning=True, instructions=False, speed=False
    )
    model_class: ClassVar[Any] = ChatterboxTTS
    min_clip_seconds: ClassVar[float] = 0.0
    label: ClassVar[str] = "Chatterbox"

    def __init__(
        self,
        settings: ChatterboxSettings,
        library: LibraryView | None = None,
        *,
        weights: tuple[Path, str] | None = None,
    ) -> None:
        """``weights``: (checkpoint directory, commit) already located (``engines.chatterbox``)."""
        self.settings = settings
        self.capabilities = self.capabilities.model_copy(
            update={"cacheable": settings.audio_cacheable}  # it samples: cached only by choice
        )
        self.device = resolve_device(settings.chatterbox_device)
        model_dir, self.revision = weights or settings.weights_location(self.name)
        self.model_id = self._model_id(settings, model_dir)
        self.version = importlib.metadata.version("chatterbox-tts")
        self.model = self.model_class.from_local(model_dir, self.device)
        self.sample_rate = int(self.model.sr)
        self._builtin: Conditionals | None = self.model.conds
        self._lock = threading.Lock()
        self._cache: ConditioningCache[Conditionals] = ConditioningCache(
            settings.conditioning_cache_entries,
            int(settings.conditioning_cache_mb * 2**20),
            tensor_bytes,
        )
        self._library = library or LibraryView(settings, self.name).start()
        _LOGGER.info(
            "%s %s loaded from %s on %s (%s in use), built-in voice: %s",
            self.name,
            self.version,
            model_dir,
            self.device,
            human_bytes(self.memory_bytes()),
            "yes" if self._builtin is not None else "no",
        )

    def _model_id(self, settings: ChatterboxSettings, model_dir: Path) -> str:
        """The repository id, or the directory when one was given in the settings."""
        given = settings.chatterbox_model_dir
        return settings.chatterbox_model_id if given is None else str(model_dir)

    def memory_bytes(self) -> int:
        return memory_bytes(self.device)

    @property
    def builtin_voice(self) -> str:
        return f"{self.name}-default"

    # ---- voices ----------------------------------------------------------------------

    def voices(self) -> list[VoiceInfo]:
        where = f"{self.model_id} on {self.device}"
        voices = [
            VoiceInfo(
                name=meta.name,
                languages=LANGUAGES,
                description=f"{self.label} clone of a {meta.duration_seconds:.0f} s clip ({where})",
                sample_rate=self.sample_rate,
                clones=True,
            )
            for meta in self._library.voices()
        ]
        if self._builtin is not None:
            voices.append(
                VoiceInfo(
                    name=self.builtin_voice,
                    languages=LANGUAGES,
                    description=f"{self.label} built-in voice ({where})",
                    sample_rate=self.sample_rate,
                )
            )
        return voices

    def _conditioning(self, request: SynthesisRequest) -> tuple[Conditionals, str | None]:
        if request.voice == self.builtin_voice and self._builtin is not None:
            return self._builtin, None
        meta = self._library.get(request.voice)
        if meta is None:
            raise VoiceNotFoundError(request.voice, [voice.name for voice in self.voices()])
        return self._cache.get_or_make(meta.digest, lambda: self._clone(meta)), meta.language

    def _clone(self, meta: ClonedVoiceMeta) -> Conditionals:
        if meta.duration_seconds <= self.min_clip_seconds:
            raise InvalidRequestError(
                f"{self.label} needs a reference clip longer than {self.min_clip_seconds:.0f} s; "
                f"voice {meta.name!r} has {meta.duration_seconds:.1f} s",
                f"add a longer clip (6 to 15 s) with 'voicebus voices add', or use engine "
                f"chatterbox or xtts for {meta.name!r}",
            )
        samples, rate = self._library.clip(meta)
        with tempfile.TemporaryDirectory(prefix="voicebus-clip-") as scratch:
            path = Path(scratch) / "reference.wav"
            path.write_bytes(write_wav((samples * 32767).astype("<i2"), rate))
            with self._lock, torch.inference_mode():
                self.model.prepare_conditionals(
                    str(path), exaggeration=self.settings.chatterbox_exaggeration
                )
                conds = self.model.conds
        _LOGGER.info("conditioning for %s computed (%d cached)", meta.name, len(self._cache) + 1)
        return conds

    # ---- synthesis -------------------------------------------------------------------

    def synthesize(self, request: SynthesisRequest) -> Iterator[bytes]:
        conds, voice_language = self._conditioning(request)
        language_code(request.language or voice_language, LANGUAGES, "en")
        with self._lock:
            seed_everything(self.settings.synthesis_seed)
            # generate() may replace conds.t3; give it a shallow copy so the cache stays intact
            self.model.conds = Conditionals(conds.t3, dict(conds.gen))
            wav = self.model.generate(request.text, **self._generate_options())
        yield float_to_pcm(wav)

    def _generate_options(self) -> dict[str, float]:
        return {
            "exaggeration": self.settings.chatterbox_exaggeration,
            "cfg_weight": self.settings.chatterbox_cfg_weight,
            "temperature": self.settings.chatterbox_temperature,
        }

    def close(self) -> None:
        self._library.close()


class ChatterboxTurboEngine(ChatterboxEngine):
    """Chatterbox Turbo: no exaggeration or guidance; reference clips must exceed 5 s."""

    name = "chatterbox-turbo"
    model_class = ChatterboxTurboTTS
    min_clip_seconds = 5.0
    label = "Chatterbox Turbo"

    def _model_id(self, settings: ChatterboxSettings, model_dir: Path) -> str:
        given = settings.chatterbox_turbo_model_dir
        return settings.chatterbox_turbo_model_id if given is None else str(model_dir)

    def _generate_options(self) -> dict[str, float]:
        # Turbo ignores (and warns about) exaggeration, cfg weight and min_p.
        return {
            "exaggeration": 0.0,
            "cfg_weight": 0.0,
            "min_p": 0.0,
            "temperature": self.settings.chatterbox_temperature,
        }
