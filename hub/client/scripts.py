"""Can a voice read this text at all? The writing systems of its languages against the text's.

An English voice handed Chinese says "Chinese letter" for every character; better a clear
error naming voices that can read it (or, when the caller left the voice to the hub, one of
them). Only letters count, and only when most of them are in scripts the voice's languages do
not use, so a Latin name inside Japanese text, or digits, never trip it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable

_NAMED_SCRIPTS = (
    "LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "HIRAGANA", "KATAKANA", "HANGUL",
    "DEVANAGARI", "BENGALI", "TAMIL", "TELUGU", "KANNADA", "MALAYALAM", "GUJARATI", "GURMUKHI",
    "THAI", "LAO", "KHMER", "GEORGIAN", "ARMENIAN", "ETHIOPIC", "SINHALA", "MYANMAR", "TIBETAN",
)  # fmt: skip

# language (ISO 639-1) -> the scripts it is written in; anything not listed is Latin.
_LANGUAGE_SCRIPTS: dict[str, frozenset[str]] = {
    "zh": frozenset({"HAN"}),
    "ja": frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    "ko": frozenset({"HANGUL", "HAN"}),
    **{lang: frozenset({"CYRILLIC"}) for lang in ("ru", "uk", "bg", "sr", "mk", "be", "kk")},
    "el": frozenset({"GREEK"}),
    **{lang: frozenset({"ARABIC"}) for lang in ("ar", "fa", "ur", "ps", "ug")},
    **{lang: frozenset({"HEBREW"}) for lang in ("he", "yi")},
    **{lang: frozenset({"DEVANAGARI"}) for lang in ("hi", "mr", "ne", "sa")},
    "bn": frozenset({"BENGALI"}), "ta": frozenset({"TAMIL"}), "te": frozenset({"TELUGU"}),
    "kn": frozenset({"KANNADA"}), "ml": frozenset({"MALAYALAM"}), "gu": frozenset({"GUJARATI"}),
    "pa": frozenset({"GURMUKHI"}), "th": frozenset({"THAI"}), "lo": frozenset({"LAO"}),
    "km": frozenset({"KHMER"}), "ka": frozenset({"GEORGIAN"}), "hy": frozenset({"ARMENIAN"}),
    "am": frozenset({"ETHIOPIC"}), "si": frozenset({"SINHALA"}), "my": frozenset({"MYANMAR"}),
    "bo": frozenset({"TIBETAN"}),
}  # fmt: skip

MIN_LETTERS = 4
"""Texts with fewer letters are never refused."""


def script_of(char: str) -> str | None:
    """The script of a letter (``"LATIN"``, ``"HAN"``, ...), None for anything else."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if name.startswith(("CJK ", "KANGXI")):
        return "HAN"
    first = name.split(" ", 1)[0]
    return first if first in _NAMED_SCRIPTS else None


def scripts_of(languages: Iterable[str]) -> frozenset[str]:
    """Every script the languages (``en_US``, ``zh``, ``pt-BR`` ...) are written in."""
    found: set[str] = set()
    for language in languages:
        base = language.replace("-", "_").split("_")[0].lower()
        found |= _LANGUAGE_SCRIPTS.get(base, frozenset({"LATIN"}))
    return frozenset(found)


def foreign_script(text: str, languages: Iterable[str]) -> str | None:
    """The script most of ``text``'s letters are in when the languages cannot read it (None
    also for a voice that declares no language: nothing is known to refuse it)."""
    languages = list(languages)
    if not languages:
        return None
    counts = Counter(script for char in text if (script := script_of(char)) is not None)
    total = sum(counts.values())
    if total < MIN_LETTERS:
        return None
    readable = scripts_of(languages)
    foreign = {script: n for script, n in counts.items() if script not in readable}
    if sum(foreign.values()) * 2 <= total:
        return None
    return max(foreign, key=lambda script: foreign[script])
