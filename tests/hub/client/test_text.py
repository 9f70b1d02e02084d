"""Tests for hub.client.text: sentence splitting, streaming splitting and their agreement."""

from __future__ import annotations

import itertools
import random

import pytest

from hub.client.text import (
    DEFAULT_MAX_SENTENCE_CHARS,
    SentenceBuffer,
    cut_first_piece,
    split_sentences,
    word_count,
)

LONG_CLAUSES = (
    "When the storm finally reached the harbour after three days of waiting, "
    "the fishermen pulled their boats high onto the shingle; the children ran "
    "along the sea wall shouting at the waves, and the old lighthouse keeper, "
    "who had seen a hundred storms like this one, simply lit his pipe and "
    "watched the grey water rise over the rocks without saying a single word"
)

PROPERTY_TEXTS = [
    "Hello world. This is a test. And this is the end",
    'He said "Stop!" Then he left. She asked, "Why?" and nobody answered.',
    "Dr. Smith met Mrs. Jones at 5 p.m. in the U.S. embassy. They talked about "
    "J. R. R. Tolkien, e.g. his books, i.e. the long ones, etc. The end.",
    "Pi is 3.14 and the version is v1.2.3 now. See example.com for details! Really?! Yes.",
    "wait... what? Wait... What! Hmm\u2026 no. Okay\u2026 Fine.",
    "First line ends here.\nsecond line starts lower\nand wraps\n\nNew paragraph\n\n\nAnother one.",
    "\u4f60\u597d\u3002\u6211\u662f\u5c0f\u660e\uff01\u4f60\u5462\uff1f\u300c\u597d\u3002\u300d\u7ed3\u675f",
    "1. Buy milk. 2. Buy eggs. No. 7 is my number. I said no. Then I left.",
    "... \u2014 ... Real words. \u2014 \u2014 !!! ?",
    LONG_CLAUSES + ". " + LONG_CLAUSES.upper() + "! Short one.",
    "x" * 950 + " tail. " + "word " * 120 + "end.",
    "  \n  leading space.   Trailing space.   \n\n  ",
    "A\u2014B\u2013C; D: E, F. " * 40,
]


def stream(fragments: list[str], max_chars: int = DEFAULT_MAX_SENTENCE_CHARS) -> list[str]:
    buffer = SentenceBuffer(max_chars)
    out: list[str] = []
    for fragment in fragments:
        out.extend(buffer.feed(fragment))
    return out + buffer.flush()


def random_fragments(text: str, rng: random.Random) -> list[str]:
    count = rng.randint(0, min(20, len(text) - 1))
    cuts = sorted(rng.sample(range(1, len(text)), count)) if len(text) > 1 else []
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def test_typical_paragraph() -> None:
    text = (
        "The quick brown fox jumps over the lazy dog. It was not amused!  Was it hurt?\n"
        "Nobody knows."
    )
    assert split_sentences(text) == [
        "The quick brown fox jumps over the lazy dog.",
        "It was not amused!",
        "Was it hurt?",
        "Nobody knows.",
    ]


def test_empty_and_whitespace_only() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \n\t\n  ") == []
    assert stream(["  ", "\n", " "]) == []


def test_whitespace_is_normalised() -> None:
    assert split_sentences("  Lots   of\tspace\nhere.  ") == ["Lots of space here."]


def test_abbreviations_do_not_end_sentences() -> None:
    text = "Mr. and Mrs. Smith met Dr. Jones vs. Prof. Lee at St. Mary's. They left."
    assert split_sentences(text) == [
        "Mr. and Mrs. Smith met Dr. Jones vs. Prof. Lee at St. Mary's.",
        "They left.",
    ]
    assert split_sentences("Pens, ink, etc. Paper too.") == ["Pens, ink, etc. Paper too."]
    assert split_sentences("We met at 5 p.m. yesterday, e.g. after work.") == [
        "We met at 5 p.m. yesterday, e.g. after work."
    ]
    assert split_sentences("Acme Inc. Ltd. Co. sells No. 5 in the U.S. Army.") == [
        "Acme Inc. Ltd. Co. sells No. 5 in the U.S. Army."
    ]


def test_no_is_a_word_unless_a_number_follows() -> None:
    assert split_sentences("I said No. Then I left.") == ["I said No.", "Then I left."]


def test_initials() -> None:
    assert split_sentences("J. R. R. Tolkien wrote it. I. M. Pei did not.") == [
        "J. R. R. Tolkien wrote it.",
        "I.",
        "M. Pei did not.",
    ]
    assert split_sentences("So did I. Then we went home.") == [
        "So did I.",
        "Then we went home.",
    ]


def test_decimals_and_dotted_names() -> None:
    text = "Pi is 3.14 and v1.2 is out. Visit example.com now. It costs $3. Cheap."
    assert split_sentences(text) == [
        "Pi is 3.14 and v1.2 is out.",
        "Visit example.com now.",
        "It costs $3.",
        "Cheap.",
    ]


def test_lowercase_after_period_is_not_a_boundary() -> None:
    assert split_sentences("The file ends in .txt. see above. Next.") == [
        "The file ends in .txt. see above.",
        "Next.",
    ]


def test_quotes_and_brackets() -> None:
    assert split_sentences('He said "Stop!" Then left.') == ['He said "Stop!"', "Then left."]
    assert split_sentences('"Go." she said. (It was late.) We went.') == [
        '"Go." she said.',
        "(It was late.)",
        "We went.",
    ]
    assert split_sentences("\u201cReally?\u201d He nodded.") == [
        "\u201cReally?\u201d",
        "He nodded.",
    ]


def test_newlines_and_paragraphs() -> None:
    text = "Title line\nstill the title\n\nFirst para.\nsecond line.\n\n\nLast para"
    assert split_sentences(text) == [
        "Title line still the title",
        "First para.",
        "second line.",
        "Last para",
    ]
    assert split_sentences("Dr.\nSmith is in.") == ["Dr. Smith is in."]
    assert split_sentences("a\r\n\r\nb") == ["a", "b"]


def test_ellipsis() -> None:
    assert split_sentences("Wait... what? Wait... What!") == ["Wait... what?", "Wait...", "What!"]
    assert split_sentences("Hmm\u2026 no. Well\u2026 Yes.") == [
        "Hmm\u2026 no.",
        "Well\u2026",
        "Yes.",
    ]


def test_punctuation_only_pieces_are_dropped() -> None:
    assert split_sentences("...") == []
    assert split_sentences("Hello. ... World. \u2014") == ["Hello.", "World."]
    # a stray dash without terminal punctuation stays with the next sentence
    assert split_sentences("Hello. \u2014 World.") == ["Hello.", "\u2014 World."]
    assert split_sentences("!!! ???") == []


def test_cjk() -> None:
    text = "\u4f60\u597d\u3002\u6211\u662f\u5c0f\u660e\uff01\u4f60\u5462\uff1f"
    assert split_sentences(text) == [
        "\u4f60\u597d\u3002",
        "\u6211\u662f\u5c0f\u660e\uff01",
        "\u4f60\u5462\uff1f",
    ]
    quoted = "\u4ed6\u8bf4\uff1a\u300c\u597d\u3002\u300d\u7136\u540e\u8d70\u4e86\u3002"
    assert split_sentences(quoted) == [
        "\u4ed6\u8bf4\uff1a\u300c\u597d\u3002\u300d",
        "\u7136\u540e\u8d70\u4e86\u3002",
    ]


def test_long_sentence_splits_at_clauses_then_spaces() -> None:
    pieces = split_sentences(LONG_CLAUSES + ".", max_chars=120)
    assert len(pieces) > 1
    assert all(0 < len(piece) <= 120 for piece in pieces)
    assert " ".join(pieces).split() == (LONG_CLAUSES + ".").split()
    assert pieces[0].endswith(",")
    assert any(piece.endswith(";") for piece in pieces)

    no_commas = " ".join(["word"] * 100) + "."
    pieces = split_sentences(no_commas, max_chars=50)
    assert all(len(piece) <= 50 for piece in pieces)
    assert " ".join(pieces) == no_commas


def test_default_limit_applies() -> None:
    text = ("alpha beta gamma delta, " * 40).strip() + "."
    pieces = split_sentences(text)
    assert all(len(piece) <= DEFAULT_MAX_SENTENCE_CHARS for piece in pieces)
    assert " ".join(pieces) == text


def test_overlong_word_is_hard_cut() -> None:
    pieces = split_sentences("Start " + "x" * 25 + " end.", max_chars=10)
    assert all(len(piece) <= 10 for piece in pieces)
    assert "".join(pieces).replace(" ", "") == ("Start" + "x" * 25 + "end.")


def test_commas_inside_numbers_are_not_clause_breaks() -> None:
    text = "It cost 3,000,000 dollars and it took 12:30 hours to count all of it by hand, sadly."
    pieces = split_sentences(text, max_chars=60)
    assert all("3,000,000" in piece or "3,0" not in piece for piece in pieces)
    assert all(len(piece) <= 60 for piece in pieces)


def test_tiny_limits() -> None:
    assert split_sentences("ab cd", max_chars=2) == ["ab", "cd"]
    assert split_sentences("abc", max_chars=1) == ["a", "b", "c"]


def test_invalid_max_chars() -> None:
    with pytest.raises(ValueError):
        split_sentences("Hi.", max_chars=0)
    with pytest.raises(ValueError):
        SentenceBuffer(0)


def test_buffer_emits_at_first_point_of_certainty() -> None:
    buffer = SentenceBuffer()
    assert buffer.feed("Hello wor") == []
    assert buffer.feed("ld. This is") == ["Hello world."]
    assert buffer.feed(" a test. And") == ["This is a test."]
    assert buffer.flush() == ["And"]
    assert buffer.flush() == []


def test_buffer_waits_for_the_next_character() -> None:
    buffer = SentenceBuffer()
    assert buffer.feed("Ask Dr.") == []
    assert buffer.feed(" ") == []
    assert buffer.feed("Smith. Pi is 3.") == ["Ask Dr. Smith."]
    assert buffer.feed("14. Ok") == ["Pi is 3.14."]
    assert buffer.feed("\n") == []
    assert buffer.feed("\n") == ["Ok"]
    assert buffer.flush() == []


def test_buffer_is_reusable_after_flush() -> None:
    buffer = SentenceBuffer()
    assert buffer.feed("One. Two") == ["One."]
    assert buffer.flush() == ["Two"]
    assert buffer.feed("Three. ") == []
    assert buffer.flush() == ["Three."]


def test_buffer_emits_long_heads_early() -> None:
    buffer = SentenceBuffer(max_chars=40)
    early: list[str] = []
    for _ in range(30):
        early.extend(buffer.feed("more words "))
    assert early
    assert all(len(piece) <= 40 for piece in early)
    rest = buffer.flush()
    assert " ".join(early + rest) == " ".join(["more words"] * 30)


@pytest.mark.parametrize("max_chars", [DEFAULT_MAX_SENTENCE_CHARS, 60, 17, 2])
@pytest.mark.parametrize("index", range(len(PROPERTY_TEXTS)))
def test_any_fragmentation_matches_split_sentences(index: int, max_chars: int) -> None:
    text = PROPERTY_TEXTS[index]
    expected = split_sentences(text, max_chars)
    assert all(0 < len(piece) <= max_chars for piece in expected)
    rng = random.Random(index * 1000 + max_chars)
    for _ in range(25):
        fragments = random_fragments(text, rng)
        assert stream(fragments, max_chars) == expected, fragments
    assert stream(list(text), max_chars) == expected


def test_random_texts_match_under_fragmentation() -> None:
    rng = random.Random(7)
    vocabulary = [
        "Dr.", "the", "end.", "3.14", "Wait...", "what?", "\n", "\n\n", '"Stop!"', "e.g.",
        "J.", "R.", "Tolkien", "No.", "5", "—", "word,", "clause;", "\u3002", "x" * 30, "I.",
        "lower.", "Upper", "(aside.)", "1.", "…", "p.m.", "  ",
    ]  # fmt: skip
    for _ in range(40):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 60)))
        max_chars = rng.choice([1, 2, 5, 12, 40, 400])
        expected = split_sentences(text, max_chars)
        assert all(len(piece) <= max_chars for piece in expected)
        for _ in range(5):
            fragments = random_fragments(text, rng)
            assert stream(fragments, max_chars) == expected, (text, fragments)


@pytest.mark.parametrize("max_chars", [DEFAULT_MAX_SENTENCE_CHARS, 30])
def test_split_preserves_every_letter_and_digit(max_chars: int) -> None:
    def alnum(text: str) -> str:
        return "".join(ch for ch in text if ch.isalnum())

    for text in PROPERTY_TEXTS:
        assert alnum("".join(split_sentences(text, max_chars))) == alnum(text)


def test_word_count() -> None:
    assert word_count("") == 0
    assert word_count("  Hello,   world! \u2014 3.14 ...") == 3


@pytest.mark.parametrize(
    ("sentence", "head"),
    [
        (
            LONG_CLAUSES + ".",
            "When the storm finally reached the harbour after three days of waiting,",
        ),
        (
            "Well, as I told you before, the meeting has been moved to Thursday afternoon "
            "because the manager is away until then.",
            "Well, as I told you before,",  # "Well," alone would be a one-word piece
        ),
        (
            "The plan was simple \u2014 meet at the station at noon, buy the tickets and "
            "catch the first train that leaves for the coast.",
            "The plan was simple \u2014",
        ),
        (
            "Before you leave: check the windows, lock the back door and leave the key under "
            "the third flower pot by the gate.",
            "Before you leave:",
        ),
    ],
)
def test_a_long_first_sentence_is_cut_after_a_handful_of_words(sentence: str, head: str) -> None:
    pieces = cut_first_piece(sentence)
    assert pieces[0] == head
    assert " ".join(pieces) == sentence  # nothing lost, nothing added
    assert len(pieces) == 2 and 3 <= word_count(pieces[0]) <= 12 and word_count(pieces[1]) >= 3


@pytest.mark.parametrize(
    "sentence",
    [
        "In part 1, the river runs past the old mill.",  # short: made fast anyway
        "The morning train left the station right on time and everyone on board was happy "
        "to be going home at last.",  # long, but no clause boundary
        "Sure, here is a quick summary of the long day you have ahead of you this morning "
        "before the meetings start.",  # the only comma would leave a one-word head
        "It was a long and difficult journey through the mountains in the middle of winter, "
        "but we made it.",  # the first boundary is too late for a short head
    ],
)
def test_other_sentences_stay_whole(sentence: str) -> None:
    assert cut_first_piece(sentence) == [sentence]
