"""Text made speakable in one place before routing: control and escape codes, NUL, lone
surrogates, SSML, whitespace; and text in a script the voice cannot read."""

from __future__ import annotations

import pytest

from hub.client import HubClient
from hub.client.scripts import foreign_script, script_of
from hub.client.speakable import MAX_HELD_CHARS, FragmentCleaner, speakable
from hub.client.text import split_sentences
from hub.contract.errors import InvalidRequestError
from tests.conftest import DEFAULT_VOICE
from tests.helpers import assert_is_speech, collect

CHINESE = "你好\uff0c世界\u3002今天天气很好\u3002"  # with full-width punctuation

CASES = [
    ("Hello\x00world.", "Helloworld."),
    ("Hello \ud800 there.", "Hello there."),
    ("\x1b[31mRed alert\x1b[0m now.", "Red alert now."),
    ("\x1b]0;title\x07Plain text.", "Plain text."),
    ("Tabs\tand   spaces.\r\nNew line.", "Tabs and spaces.\nNew line."),
    ("\ufeffA byte order mark\u200b here.", "A byte order mark here."),
    ('<speak>Hello <break time="500ms"/> world.</speak>', "Hello, world."),
    ('<speak><prosody rate="slow">Slowly</prosody> now.</speak>', "Slowly now."),
    ('<sub alias="World Wide Web">WWW</sub> is big.', "World Wide Web is big."),
    ('<say-as interpret-as="characters">abc</say-as> &amp; more.', "abc & more."),
    ("<p>One.</p><p>Two.</p>", "One.\nTwo."),
    ("a < b and c > d, 3 < 4.", "a < b and c > d, 3 < 4."),
    ("Tom &amp; Jerry.", "Tom &amp; Jerry."),
]


@pytest.mark.parametrize(("text", "spoken"), CASES)
def test_speakable(text: str, spoken: str) -> None:
    assert speakable(text) == spoken
    assert speakable(spoken) == spoken  # idempotent


def cleaned(fragments: list[str]) -> str:
    cleaner = FragmentCleaner()
    return "".join(cleaner.feed(fragment) for fragment in fragments) + cleaner.flush()


@pytest.mark.parametrize(("text", "spoken"), CASES)
def test_streamed_text_cut_anywhere_is_cleaned_like_whole_text(text: str, spoken: str) -> None:
    """A tag, an escape sequence or a line break cut between two fragments is held back
    until it is complete, so every cut gives the sentences of the whole text."""
    for cut in range(1, len(text)):
        assert split_sentences(cleaned([text[:cut], text[cut:]])) == split_sentences(spoken), cut
    assert split_sentences(cleaned(list(text))) == split_sentences(spoken)  # a char at a time


@pytest.mark.parametrize(
    ("fragments", "spoken"),
    [
        (["Hi <bre", "ak time='1s'/> there."], "Hi, there."),
        (["Red \x1b[3", "1malert\x1b", "[0m now."], "Red alert now."),
        (["<speak>Tom ", "&amp; Jerry.</speak>"], "Tom & Jerry."),  # markup once, markup on
        (["a <", " b, 3<", "4."], "a < b, 3<4."),
    ],
)
def test_streamed_fragments(fragments: list[str], spoken: str) -> None:
    assert " ".join(cleaned(fragments).split()) == spoken


def test_what_never_closes_is_not_held_forever() -> None:
    cleaner = FragmentCleaner()
    assert cleaner.feed("Hello <there") == "Hello"
    assert cleaner.feed(" x" * MAX_HELD_CHARS).startswith(" <there x")  # not a tag after all


def test_fragments_keep_the_spaces_between_them() -> None:
    assert speakable("Hello ", fragment=True) + speakable("world.", fragment=True) == (
        "Hello world."
    )


@pytest.mark.parametrize(
    ("text", "languages", "foreign"),
    [
        (CHINESE, ["en_US", "en"], "HAN"),
        (CHINESE, ["zh_CN", "zh"], None),
        ("こんにちは、世界。", ["ja"], None),
        ("Привет, как дела?", ["en_US"], "CYRILLIC"),
        ("Привет, как дела?", ["ru_RU"], None),
        ("Meet me at 東京 station at 10.", ["en_US"], None),  # mostly Latin
        ("42 + 17 = 59", ["en_US"], None),  # no letters to judge
        ("Ωμέγα", ["de_DE"], "GREEK"),
        (CHINESE, [], None),  # a voice that declares no language is not refused
        ("One sentence. Two sentences.", [], None),
    ],
)
def test_foreign_script(text: str, languages: list[str], foreign: str | None) -> None:
    assert foreign_script(text, languages) == foreign


def test_script_of() -> None:
    assert [script_of(ch) for ch in "aЖ中あ1 "] == [
        "LATIN",
        "CYRILLIC",
        "HAN",
        "HIRAGANA",
        None,
        None,
    ]


async def test_dirty_text_is_spoken_clean(hub: HubClient, whisper: object) -> None:
    text = '<speak>\x1b[1mHello\x1b[0m\x00 there <break time="300ms"/> my \ud800 friend.</speak>'
    stream = await hub.open(text, DEFAULT_VOICE)
    pcm = await collect(stream)
    assert stream.sentences == ["Hello there, my friend."]
    assert_is_speech(pcm, stream.sample_rate, "Hello there, my friend.", whisper)


async def test_text_the_voice_cannot_read_is_refused(hub: HubClient) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await hub.open(CHINESE, DEFAULT_VOICE)
    assert refused.value.message == (
        f"the text is mostly Han script, which voice {DEFAULT_VOICE} (en_US, en) cannot read"
    )
    assert refused.value.suggestion == (
        "no running voice can; start an engine with a voice for that language"
    )
    with pytest.raises(InvalidRequestError, match="cannot read"):
        await hub.open(CHINESE)  # automatic, but no voice can


async def test_streamed_text_the_voice_cannot_read_is_refused_at_its_first_sentence(
    hub: HubClient,
) -> None:
    stream = await hub.open(None, DEFAULT_VOICE)
    async with stream:
        stream.feed(CHINESE[:3])  # no sentence yet
        with pytest.raises(InvalidRequestError, match="mostly Han script"):
            stream.feed(CHINESE[3:])
        assert stream.sentences == []  # nothing went to the engine


async def test_streamed_text_mostly_readable_is_spoken(hub: HubClient) -> None:
    """Judged like whole text: a foreign name in a sentence of English is fine."""
    stream = await hub.open(None, DEFAULT_VOICE)
    async with stream:
        stream.feed("Meet me at 東京 station at ten. ")
        stream.end_input()
        assert len(await collect(stream)) > 22_050


async def test_nothing_speakable_is_empty(hub: HubClient) -> None:
    with pytest.raises(InvalidRequestError, match="text is empty"):
        await hub.open("\x1b[31m\x00<break/>\x1b[0m", DEFAULT_VOICE)
