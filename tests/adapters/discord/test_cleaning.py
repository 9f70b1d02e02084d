"""The text cleaner on real-looking Discord messages."""

from __future__ import annotations

import pytest

from adapters.discord.cleaning import Names, SaidTracker, clean, trim

NAMES = Names(
    users={111: "Annie", 222: "Bob"},
    channels={333: "general"},
    roles={444: "mods"},
)

TABLE = [
    ("hey <@111> and <@!222>!", "hey Annie and Bob!"),
    ("ask <@&444> in <#333>", "ask mods in general"),
    ("who is <@999>", "who is someone"),
    ("nice <:pepe_hands:123456789012345678> lol", "nice emoji pepe hands lol"),
    ("<a:party_blob:987654321098765432>", "emoji party blob"),
    ("see https://www.youtube.com/watch?v=abc", "see a link to youtube.com"),
    ("docs: <https://docs.python.org/3/>", "docs: a link to docs.python.org"),
    ("[the guide](https://example.com/guide) is good", "the guide, a link is good"),
    ("the killer is ||the butler|| wow", "the killer is wow"),
    ("run this:\n```py\nprint('hi')\n```\nthen done", "run this: then done"),
    ("use `pip install` now", "use pip install now"),
    ("**bold** and *it* and __under__ and ~~gone~~", "bold and it and under and gone"),
    ("***both*** and **_nested_**", "both and nested"),
    ("> quoted line\n# Big title\n-# small print", "quoted line Big title small print"),
    ("- one\n- two", "one two"),
    ("nooooooooooo!!!!!!!!", "nooo!!!"),
    ("hahahahaha", "hahahahaha"),
    ("meet at <t:1733000000:R>", "meet at a time"),
    ("snake_case_name stays", "snake_case_name stays"),
    ("2 * 3 * 4", "2 * 3 * 4"),
    ("```only code```", ""),
    ("||all a spoiler||", ""),
    ("?!?! ...", ""),
    ("  lots \n\n of   space ", "lots of space"),
]


@pytest.mark.parametrize(("message", "spoken"), TABLE)
def test_clean(message: str, spoken: str) -> None:
    assert clean(message, NAMES) == spoken


def test_replacements_are_whole_words_any_case() -> None:
    fixes = {"gg": "good game", "btw": "by the way", "voicebus": "voice bus"}
    assert clean("GG, btw VoiceBus rocks; eggs", replacements=fixes) == (
        "good game, by the way voice bus rocks; eggs"
    )


def test_long_messages_are_trimmed_with_and_so_on() -> None:
    text = "The morning train left the station right on time, and everyone cheered loudly."
    cut = clean(text, max_chars=40)
    assert cut == "The morning train left the and so on"
    assert len(cut) <= 40
    assert trim("short", 40) == "short"
    assert trim("x" * 100, 30) == "x" * 20 + " and so on"


def test_said_is_skipped_for_the_same_author_within_a_minute() -> None:
    said = SaidTracker()
    assert said.prefix(1, 111, "Annie", now=0.0) == "Annie said, "
    assert said.prefix(1, 111, "Annie", now=30.0) == ""
    assert said.prefix(1, 222, "Bob", now=31.0) == "Bob said, "
    assert said.prefix(1, 111, "Annie", now=32.0) == "Annie said, "
    assert said.prefix(1, 111, "Annie", now=100.0) == "Annie said, "
    assert said.prefix(2, 111, "Annie", now=100.5) == "Annie said, ", "per guild"
