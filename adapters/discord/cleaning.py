"""Discord message text to speakable text, with no Discord client imports.

    names = Names(users={1: "Ann"}, channels={2: "general"}, roles={3: "mods"})
    clean("hey <@1>, see <#2> https://example.com/x", names)   # "hey Ann, see general a link
                                                                 #  to example.com"

Code blocks and spoilers are skipped, markdown is stripped, custom emoji become "emoji NAME",
runs of one character are capped, pronunciation fixes are applied, and over-long text is cut at
a word with "and so on" (never dropped). ``SaidTracker`` decides when to say "<name> said".
The rules every chat adapter shares (links, inline code, repeats, pronunciation fixes,
whitespace, "nothing readable") live in :mod:`adapters.chat_text`; this module adds Discord's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from adapters.chat_text import describe_link, finish, unwrap_inline_code

TRIM_SUFFIX = " and so on"
SAID_WINDOW = 60.0

_CODE_BLOCK = re.compile(r"```.*?(```|$)", re.DOTALL)
_SPOILER = re.compile(r"\|\|.*?\|\|", re.DOTALL)
_USER = re.compile(r"<@!?(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_EMOJI = re.compile(r"<a?:(\w+):\d+>")
_TIMESTAMP = re.compile(r"<t:\d+(:\w)?>")
_LINK = re.compile(r"<?(https?://[^\s>]+)>?")
_MASKED_LINK = re.compile(r"\[([^\]]+)\]\(<?(https?://[^)\s>]+)>?\)")
_LINE_MARKUP = re.compile(r"^\s*(>>>|>|#{1,3} |-# |[-*] )\s*", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*\*|\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1")
_UNDERLINE = re.compile(r"(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")  # not in snake_case


@dataclass(frozen=True)
class Names:
    """Display names of the ids a message may mention."""

    users: Mapping[int, str] = field(default_factory=dict)
    channels: Mapping[int, str] = field(default_factory=dict)
    roles: Mapping[int, str] = field(default_factory=dict)


def clean(
    text: str,
    names: Names | None = None,
    *,
    max_chars: int | None = None,
    replacements: Mapping[str, str] | None = None,
) -> str:
    """Speakable text of a Discord message ("" when nothing in it is worth reading)."""
    names = names or Names()
    text = _SPOILER.sub(" ", _CODE_BLOCK.sub(" ", text))
    text = unwrap_inline_code(text)
    text = _USER.sub(lambda m: names.users.get(int(m[1]), "someone"), text)
    text = _CHANNEL.sub(lambda m: names.channels.get(int(m[1]), "a channel"), text)
    text = _ROLE.sub(lambda m: names.roles.get(int(m[1]), "a role"), text)
    text = _EMOJI.sub(lambda m: f"emoji {m[1].replace('_', ' ')}", text)
    text = _TIMESTAMP.sub("a time", text)
    text = _MASKED_LINK.sub(lambda m: describe_link(m[2], m[1]), text)
    text = _LINK.sub(lambda m: describe_link(m[1]), text)
    text = finish(strip_markdown(text), replacements)
    return trim(text, max_chars) if max_chars and text else text


def strip_markdown(text: str) -> str:
    text = _LINE_MARKUP.sub("", text)
    previous = None
    while previous != text:  # nested emphasis: ***a*** or **_a_**
        previous, text = text, _UNDERLINE.sub(r"\2", _EMPHASIS.sub(r"\2", text))
    return text


def trim(text: str, max_chars: int) -> str:
    """At most ``max_chars`` (suffix included), cut at a word, ending in "and so on"."""
    if len(text) <= max_chars:
        return text
    room = max(1, max_chars - len(TRIM_SUFFIX))
    cut = text[:room]
    if " " in cut and not text[room].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + TRIM_SUFFIX


class SaidTracker:
    """ "<name> said" before a message, unless the same author spoke in the last minute."""

    def __init__(self, window: float = SAID_WINDOW) -> None:
        self.window = window
        self._last: dict[int, tuple[int, float]] = {}

    def prefix(self, place: int, author: int, name: str, now: float) -> str:
        last = self._last.get(place)
        self._last[place] = (author, now)
        if last is not None and last[0] == author and now - last[1] < self.window:
            return ""
        return f"{name} said, "
