"""Text made speakable, in one place, for every adapter, before routing.

Engines read what they are given: a NUL ends Piper's phonemizer with a ValueError, a lone
UTF-16 surrogate cannot even be serialised to the bus, terminal colour codes become "31 m",
and SSML tags are read out ("prostate rate equals slow"). So, in order:

* SSML: ``<sub alias="X">`` becomes X, ``<break>`` a pause (a comma), ``<say-as>``,
  ``<prosody>``, ``<emphasis>``, ``<p>``/``<s>`` and ``<speak>`` keep only their text; any
  other tag is dropped; entities are unescaped. Only text that looks like markup (a ``<speak>``
  root or a known SSML tag) is treated so, so "a < b" stays as written.
* ANSI/VT escape sequences are removed, then every other control character (NUL included)
  except line breaks and tabs.
* Lone surrogates are replaced by a space.
* Whitespace runs become one space; line breaks are kept (they end sentences).

Streamed text (Wyoming's ``synthesize-chunk``, ``stream.feed``) is cleaned as it comes by a
:class:`FragmentCleaner`, which holds back what a later fragment may complete: an unclosed
tag (``<bre`` ... ``ak/>``), a ``<sub>`` before its ``</sub>``, an escape sequence, an
entity (``&am`` ... ``p;``), a ``\r`` before its ``\n``; and which keeps reading SSML once
a fragment was markup.
"""

from __future__ import annotations

import html
import re
import unicodedata

_SSML_TAGS = (
    "speak|break|say-as|sub|prosody|emphasis|phoneme|voice|lang|audio|mark|p|s|w|"
    "amazon:[a-z-]+|mstts:[a-z-]+"
)
_LOOKS_LIKE_SSML = re.compile(rf"<\s*/?\s*(?:{_SSML_TAGS})(?:\s[^<>]*)?/?\s*>", re.IGNORECASE)
_SUB = re.compile(
    r"<\s*sub\b[^>]*\balias\s*=\s*(['\"])(.*?)\1[^>]*>.*?<\s*/\s*sub\s*>", re.I | re.S
)
_BREAK = re.compile(r"<\s*break\b[^>]*/?\s*>", re.IGNORECASE)
_BLOCK_END = re.compile(r"<\s*/\s*(?:p|s)\s*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^<>]*>")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_SPACE_BEFORE_COMMA = re.compile(r"\s+,")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"[^\S\n]+")
_LINES = re.compile(r" *\n[\n ]*")
_KEPT_CONTROLS = frozenset("\n\t")
_INVISIBLE = frozenset("\ufeff\u200b\u2060")  # byte-order mark, zero-width space, word joiner


def strip_ssml(text: str) -> str:
    """The spoken text of SSML (the common subset interpreted, other tags dropped)."""
    text = _SUB.sub(lambda match: match.group(2), text)
    text = _BREAK.sub(",", text)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_ANY_TAG.sub("", text))
    return _SPACE_BEFORE_COMMA.sub(",", text)


def _drop_controls(text: str) -> str:
    return "".join(
        ch
        for ch in text
        if ch in _KEPT_CONTROLS or (unicodedata.category(ch) != "Cc" and ch not in _INVISIBLE)
    )


def speakable(text: str, *, fragment: bool = False, ssml: bool = False) -> str:
    """``text`` as an engine should read it (see the module docstring). A ``fragment`` of
    streamed text keeps its edge spaces, which separate it from the next fragment; ``ssml``
    reads it as markup even when it has no tag of its own."""
    if ssml or _LOOKS_LIKE_SSML.search(text):
        text = strip_ssml(text)
    text = _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SURROGATE.sub(" ", _drop_controls(text))
    text = _LINES.sub("\n", _SPACES.sub(" ", text))
    return text if fragment else text.strip()


MAX_HELD_CHARS = 256
"""Longest unfinished tag or escape held back for the next fragment; longer is not one."""

_OPEN_TAG = re.compile(r"</?(?:[A-Za-z][^<>]*)?\Z")  # "<", "</", "<bre", "<break time='1"
_OPEN_SUB = re.compile(r"<\s*sub\b[^>]*>(?:(?!<\s*/\s*sub\s*>).)*\Z", re.I | re.S)
_OPEN_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?)?\Z")
_OPEN_ENTITY = re.compile(r"&#?\w{0,8}\Z")  # "&", "&am", "&#3"
_HELD_TAILS = (_OPEN_TAG, _OPEN_SUB, _OPEN_ESCAPE, _OPEN_ENTITY, re.compile(r"\r\Z"))


class FragmentCleaner:
    """:func:`speakable` for text that arrives in fragments cut anywhere: ``feed`` returns
    the cleaned text that is certain, ``flush`` the rest at the end of input."""

    def __init__(self) -> None:
        self._held = ""
        self._ssml = False

    def feed(self, fragment: str) -> str:
        text = self._held + fragment
        cut = self._cut(text)
        self._held = text[cut:]
        return self._clean(text[:cut])

    def flush(self) -> str:
        text, self._held = self._held, ""
        return self._clean(text)

    def _clean(self, text: str) -> str:
        self._ssml = self._ssml or bool(_LOOKS_LIKE_SSML.search(text))
        return speakable(text, fragment=True, ssml=self._ssml)

    @staticmethod
    def _cut(text: str) -> int:
        """Where the unfinished tail starts, spaces before it included (a break tag after
        them becomes a comma that belongs on the word before)."""
        window = max(0, len(text) - MAX_HELD_CHARS)
        starts = [
            match.start() for pattern in _HELD_TAILS if (match := pattern.search(text, window))
        ]
        cut = min(starts, default=len(text))
        return len(text[:cut].rstrip())
