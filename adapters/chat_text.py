"""Rules for reading chat text aloud that every chat adapter shares (Discord, Slack).

Each adapter first turns its own markup (mentions, channels, emoji codes, its link syntax)
into words, then hands the text to these rules, so a link, a run of one character or a
pronunciation fix sounds the same on every platform:

    describe_link("https://www.example.org/a")          # "a link to example.org"
    describe_link("https://example.org/a", "the docs")   # "the docs, a link"
    finish("nooooo!!!!!  gg", {"gg": "good game"})       # "nooo!!! good game"

No platform client is imported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

MAX_REPEAT = 3
"""A character repeated more often than this is read this many times ("nooooo" -> "nooo")."""

_INLINE_CODE = re.compile(r"`([^`]*)`")
_REPEAT = re.compile(r"(.)\1{" + str(MAX_REPEAT) + ",}", re.DOTALL)
_SPACE = re.compile(r"\s+")
_LINE_SPACE = re.compile(r"[^\S\n]+")
_LINE_BREAKS = re.compile(r"\s*\n\s*")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(//)?", re.IGNORECASE)


def describe_link(url: str, label: str | None = None) -> str:
    """How a link is read: its label and that it is a link, else where it points. A label
    that only repeats the address (Slack's ``<http://x.org|x.org>``) counts as none; an
    e-mail link is read as its address."""
    if url.lower().startswith("mailto:"):
        return (label or "").strip() or url[len("mailto:") :]
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    if label and label.strip() and not _repeats_address(label, url, host):
        return f"{label.strip()}, a link"
    return f"a link to {host}" if host else "a link"


def _repeats_address(label: str, url: str, host: str) -> bool:
    def bare(text: str) -> str:
        return _SCHEME.sub("", text.strip().lower()).removeprefix("www.").rstrip("/")

    return bare(label) in {bare(url), host.lower()}


def unwrap_inline_code(text: str) -> str:
    """`` `pip install` `` -> ``pip install`` (inline code is read as its words)."""
    return _INLINE_CODE.sub(r"\1", text)


def cap_repeats(text: str) -> str:
    """Runs of one character cut to :data:`MAX_REPEAT` ("hahaaaaaa!!!!!!" -> "hahaaa!!!")."""
    return _REPEAT.sub(lambda m: m[1] * MAX_REPEAT, text)


def replace_words(text: str, replacements: Mapping[str, str]) -> str:
    """Pronunciation fixes: whole words, case-insensitive (longest first)."""
    for word in sorted(replacements, key=len, reverse=True):
        if word.strip():
            pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
            text = pattern.sub(lambda _m, new=replacements[word]: new, text)
    return text


def tidy_whitespace(text: str, *, keep_lines: bool = False) -> str:
    """Runs of blanks as one space, trimmed; with ``keep_lines`` a line break (or several)
    stays one line break."""
    if not keep_lines:
        return _SPACE.sub(" ", text).strip()
    return _LINE_SPACE.sub(" ", _LINE_BREAKS.sub("\n", text)).strip()


def readable(text: str) -> bool:
    """Whether ``text`` holds anything to say (a letter or a digit)."""
    return any(ch.isalnum() for ch in text)


def finish(
    text: str, replacements: Mapping[str, str] | None = None, *, keep_lines: bool = False
) -> str:
    """The shared last steps after an adapter's own markup rules: repeats capped,
    pronunciation fixes, whitespace tidied; "" when nothing readable is left."""
    text = replace_words(cap_repeats(text), replacements or {})
    text = tidy_whitespace(text, keep_lines=keep_lines)
    return text if readable(text) else ""
