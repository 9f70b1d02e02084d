"""What an engine's loader reads, as data: which repository, which revision, which files.

Engines declare their own (``weights_manifest`` on their settings class, next to the loader
it describes); nothing here names a concrete engine. A voice collection (Piper's) is a
repository holding many voices and a catalogue file listing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WeightsManifest:
    """Exactly the files one engine's loader reads from one repository."""

    engine: str
    repo_id: str
    revision: str = "main"
    files: tuple[str, ...] = ()
    """Files the loader cannot do without."""
    optional: tuple[str, ...] = ()
    """Files the loader reads when present (a built-in voice, tokenizer extras)."""
    setting: str = ""
    """The engine setting that names a local checkpoint directory instead (for messages)."""

    @property
    def label(self) -> str:
        return f"{self.repo_id}@{self.revision}"


@dataclass(frozen=True)
class CatalogueVoice:
    """One voice of a collection's catalogue."""

    name: str
    language: str
    quality: str = ""
    speakers: int = 1
    files: tuple[str, ...] = ()
    """Repository paths the engine needs for this voice."""
    size_bytes: int = 0
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class VoiceCollection:
    """A repository of voices with a catalogue file (``parse`` reads it)."""

    engine: str
    repo_id: str
    catalogue: str
    parse: Callable[[bytes], list[CatalogueVoice]] = field(compare=False)
    revision: str = "main"

    def find(self, voices: list[CatalogueVoice], name: str) -> CatalogueVoice | None:
        for voice in voices:
            if voice.name == name or name in voice.aliases:
                return voice
        return None


def languages_match(wanted: str, language: str) -> bool:
    """``de`` matches ``de_DE`` and ``de_AT``; ``de-DE``/``de_de`` match ``de_DE``."""
    wanted_code = wanted.replace("-", "_").lower()
    code = language.replace("-", "_").lower()
    return code == wanted_code or code.split("_", 1)[0] == wanted_code
