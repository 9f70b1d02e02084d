"""Slack markup to spoken text, table-tested."""

from __future__ import annotations

import pytest

from adapters.discord.cleaning import clean
from adapters.slack.cleaning import clean_slack_text, mentioned_users, strip_mention

NAMES = {"U111": "Alice"}


@pytest.mark.parametrize(
    ("markup", "spoken"),
    [
        ("hello <@U111>", "hello Alice"),
        ("hello <@U222>", "hello someone"),
        ("hi <@U333|bob>", "hi bob"),
        ("see <#C123|general>", "see general"),
        ("see <#C123>", "see a channel"),
        ("<!here> lunch", "here lunch"),
        ("<!subteam^S12|@devs> ping", "devs ping"),
        ("<!date^1392734382^{date}|Feb 18, 2014> ok", "Feb 18, 2014 ok"),
        ("read <https://example.org/a?b=c|the docs>", "read the docs, a link"),
        ("at <http://example.org|example.org>", "at a link to example.org"),
        ("go to <https://www.example.org/x>", "go to a link to example.org"),
        ("mail <mailto:a@b.org>", "mail a@b.org"),
        ("mail <mailto:a@b.org|a@b.org>", "mail a@b.org"),
        ("nice :tada: :+1::skin-tone-3:", "nice tada thumbs up"),
        (":white_check_mark: done", "white check mark done"),
        ("*bold* _italic_ ~gone~ `code`", "bold italic gone code"),
        ("keep snake_case_name and 2*3*4", "keep snake_case_name and 2*3*4"),
        ("```print(1)```", "print(1)"),
        ("&gt; quoted line\nnext", "quoted line\nnext"),
        ("fish &amp; chips &lt;3", "fish & chips <3"),
        ("  many   spaces  ", "many spaces"),
        ("hahaaaaaa!!!!!!", "hahaaa!!!"),
        ("nooooo <@U111> :tada::tada::tada::tada:", "nooo Alice tada tada tada tada"),
        ("meet at 10:30:45", "meet at 10:30:45"),
        ("&amp;&amp; &gt;", ""),
        ("```   ```", ""),
        (":-) !!!", ""),
    ],
)
def test_clean(markup: str, spoken: str) -> None:
    assert clean_slack_text(markup, NAMES) == spoken


def test_mentioned_users_are_the_unnamed_ones() -> None:
    assert mentioned_users("<@U1> <@U2|two> <@W3>") == {"U1", "W3"}


def test_strip_mention_removes_only_the_bot() -> None:
    assert strip_mention("<@UBOT> say hi to <@U1>", "UBOT") == "say hi to <@U1>"
    assert strip_mention("<@UBOT|voicebus> this", "UBOT") == "this"


def test_replacements_are_whole_words_any_case() -> None:
    fixes = {"gg": "good game", "k8s": "kubernetes"}
    assert clean_slack_text("*GG*, deploy to k8s; eggs", replacements=fixes) == (
        "good game, deploy to kubernetes; eggs"
    )


@pytest.mark.parametrize(
    ("slack", "discord"),
    [
        ("see <https://www.example.org/a/b?c=d>", "see https://www.example.org/a/b?c=d"),
        (
            "see <https://docs.python.org/3/|the guide>",
            "see [the guide](https://docs.python.org/3/)",
        ),
        ("see <http://example.org|example.org>", "see [example.org](http://example.org)"),
    ],
)
def test_slack_and_discord_read_a_link_alike(slack: str, discord: str) -> None:
    """The same link in each platform's markup sounds the same (one shared rule)."""
    spoken = clean_slack_text(slack)
    assert spoken == clean(discord) and "a link" in spoken
