"""Slack's message markup turned into text worth reading aloud.

Slack sends ``<@U123>`` for a user, ``<#C123|general>`` for a channel, ``<!here>`` for a
broadcast, ``<https://x.org|label>`` for a link, ``:emoji_name:`` codes, ``*bold*``,
``_italic_``, ``~strike~``, `` `code` ``, ``> quotes`` and ``&amp;``-style entities
(https://api.slack.com/reference/surfaces/formatting). :func:`clean_slack_text` keeps what a
listener wants to hear: names, labels, words. The rules every chat adapter shares (how a link
is read, inline code, capped repeats, pronunciation fixes, whitespace, "nothing readable")
come from :mod:`adapters.chat_text`, so Slack and Discord read them alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from adapters.chat_text import describe_link, finish, unwrap_inline_code

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_LINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^|>]+)(?:\|([^>]*))?>")
_EMOJI = re.compile(r":([a-z0-9_+'-]+):(?::skin-tone-\d:)?")
_EMOJI_RUN = re.compile(rf"(?<!\w)(?:{_EMOJI.pattern})+")
"""Emoji codes side by side (``:tada::tada:``), not inside a time like ``10:30:45``."""
_CODE_BLOCK = re.compile(r"```(.*?)```", re.DOTALL)
_QUOTE = re.compile(r"^\s*&gt;\s?|^\s*>\s?", re.MULTILINE)
_FORMATTING = (
    re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"),
    re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"),
    re.compile(r"(?<![\w~])~(?!\s)(.+?)(?<!\s)~(?![\w~])"),
)
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_EMOJI_WORDS = {"+1": "thumbs up", "-1": "thumbs down", "100": "hundred"}


def mentioned_users(text: str) -> set[str]:
    """User ids mentioned without a name in ``text`` (the ones worth looking up)."""
    return {match.group(1) for match in _USER.finditer(text) if not match.group(2)}


def strip_mention(text: str, user_id: str) -> str:
    """``text`` without mentions of ``user_id`` (the bot's own, in an ``app_mention``)."""
    return re.sub(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", "", text).strip()


def _emoji_words(run: re.Match[str]) -> str:
    names = [match.group(1) for match in _EMOJI.finditer(run.group(0))]
    return " ".join(_EMOJI_WORDS.get(n, n.replace("_", " ").replace("-", " ")) for n in names)


def clean_slack_text(
    text: str,
    names: Mapping[str, str] | None = None,
    replacements: Mapping[str, str] | None = None,
) -> str:
    """``text`` as words ("" when nothing in it is readable): ``names`` maps user ids to
    the names read for ``<@U...>``, ``replacements`` are pronunciation fixes."""
    known = names or {}
    text = _USER.sub(lambda m: m.group(2) or known.get(m.group(1), "someone"), text)
    text = _CHANNEL.sub(lambda m: m.group(2) or "a channel", text)
    text = _SPECIAL.sub(lambda m: (m.group(2) or m.group(1)).lstrip("@"), text)
    text = _LINK.sub(lambda m: describe_link(m.group(1), m.group(2)), text)
    text = _CODE_BLOCK.sub(lambda m: m.group(1), text)
    text = _QUOTE.sub("", text)
    for pattern in _FORMATTING:
        text = pattern.sub(lambda m: m.group(1), text)
    text = _EMOJI_RUN.sub(_emoji_words, unwrap_inline_code(text))
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return finish(text, replacements, keep_lines=True)
