"""Sentence splitting for low-latency synthesis.

Long text is cut into sentences so the first audio can start after one sentence, and text
that arrives in fragments (split anywhere, even mid-word) is cut the same way as it comes in.

One engine does both jobs: ``split_sentences(text)`` is exactly what a ``SentenceBuffer``
emits when fed the whole text and flushed, and the buffer only emits a piece once nothing
that can still arrive could change it. So for any way of cutting a text into fragments,
the pieces fed out plus the flushed rest equal ``split_sentences`` on the whole text.

Rules, in short:

* A sentence ends at ``. ! ? …`` (runs like ``?!`` or ``...`` included) plus any closing
  quotes or brackets, followed by whitespace and then a character that is not a lowercase
  letter. A newline in that whitespace ends the sentence even before a lowercase letter.
* The CJK full stop, exclamation and question marks end a sentence with or without
  whitespace after them.
* A blank line always ends a sentence; a single newline is otherwise just a space.
* A single ``.`` after an abbreviation (``Dr.``, ``etc.``, ``e.g.``, ``U.S.``), a capital
  initial other than ``I`` (``J. R. R. Tolkien``), ``No.`` before a digit, or a bare
  leading number (list marker ``1.``) does not end a sentence. A period with no whitespace
  after it (``3.14``, ``v1.2``, ``example.com``) never does.
* Whitespace is collapsed to single spaces. Pieces without any letter or digit (``...``,
  ``—``) are dropped: engines say nothing, or make noise, for them.
* A sentence longer than ``max_chars`` is cut at the last ``;``, ``:`` or em/en dash in
  reach, else the last comma, else the last space, else hard inside the word. Clause cuts
  that would leave a head shorter than a third of ``max_chars`` are passed over.
"""

from __future__ import annotations

import re

__all__ = [
    "DEFAULT_MAX_SENTENCE_CHARS",
    "SentenceBuffer",
    "cut_first_piece",
    "split_sentences",
    "word_count",
]

DEFAULT_MAX_SENTENCE_CHARS = 400

_TERMINALS = ".!?\u2026\u3002\uff01\uff1f"  # ... and CJK full stop, ! and ?
_CJK_TERMINALS = frozenset("\u3002\uff01\uff1f")
_CLOSERS = "\"')]\u201d\u2019\u00bb\u300d\u300f\uff09"  # quotes, brackets, CJK too
_OPENERS = "\"'([\u201c\u2018\u00ab\u300c\u300e\uff08"

_CANDIDATE = re.compile(
    rf"(?P<punct>[{re.escape(_TERMINALS)}]+[{re.escape(_CLOSERS)}]*)|(?P<para>\n[^\S\n]*\n)"
)
_SPACES = re.compile(r"\s*")
_WORD = re.compile(r"\S+")
_DOTTED = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # U.S, e.g, a.m (final dot is the candidate)
_STRONG_BREAK = re.compile("[;:](?= )|[\u2014\u2013]")  # em and en dashes anywhere
_WEAK_BREAK = re.compile(r",(?= )")
_CLAUSE_END = re.compile("[,;:](?= )|[\u2014\u2013]|(?<= )-(?= )")

FIRST_PIECE_FROM_WORDS = 16
"""A first sentence this long is cut so the first audio comes after a handful of words."""
FIRST_PIECE_WORDS = (3, 12)
"""Fewest and most words of that short first piece (and the fewest left after it)."""

_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "inc",
        "ltd", "co", "corp", "dept", "approx", "fig", "gen", "col", "capt", "lt", "sgt",
        "rev", "hon", "cf", "al",
    }
)  # fmt: skip
_NUMBER_ABBREVIATIONS = frozenset({"no", "nr", "vol", "pp"})  # only before a digit


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _has_word_char(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _skip_spaces(buf: str, pos: int) -> int:
    match = _SPACES.match(buf, pos)
    return match.end() if match else pos


def _token_before(buf: str, start: int, end: int) -> tuple[str, int]:
    """The run of non-space characters ending at ``end`` (not before ``start``)."""
    i = end
    while i > start and not buf[i - 1].isspace():
        i -= 1
    return buf[i:end], i


def _is_abbreviation(token: str, next_char: str) -> bool:
    word = token.lstrip(_OPENERS)
    lower = word.lower()
    if lower in _ABBREVIATIONS or _DOTTED.fullmatch(word):
        return True
    if len(word) == 1 and word.isupper() and word != "I":
        return True
    return lower in _NUMBER_ABBREVIATIONS and next_char.isdigit()


def _ends_sentence(buf: str, start: int, match: re.Match[str], gap: str, next_char: str) -> bool:
    """Verdict on a terminal run followed by whitespace ``gap`` and then ``next_char``."""
    if match.group().rstrip(_CLOSERS) == ".":
        token, token_start = _token_before(buf, start, match.start())
        if _is_abbreviation(token, next_char):
            return False
        if token.isdigit() and token_start == start:
            return False  # list marker such as "1. Buy milk"
    if "\n" in gap:
        return True
    return not next_char.islower()


def _punct_verdict(buf: str, start: int, match: re.Match[str], final: bool) -> bool | None:
    """True/False once certain whether the terminal run ends a sentence, None if not yet."""
    end = match.end()
    if end == len(buf):
        return True if final else None
    if any(ch in _CJK_TERMINALS for ch in match.group()):
        return True
    if not buf[end].isspace():
        return False
    gap_end = _skip_spaces(buf, end)
    gap = buf[end:gap_end]
    if gap.count("\n") >= 2:
        return True
    if gap_end == len(buf):
        return True if final else None
    return _ends_sentence(buf, start, match, gap, buf[gap_end])


def _find_boundary(buf: str, start: int, limit: int, final: bool) -> tuple[int, int] | None:
    """(sentence end, resume position) of the first certain boundary starting before limit."""
    for found in _CANDIDATE.finditer(buf, start, limit):
        match = found if found.end() < limit else _CANDIDATE.match(buf, found.start())
        if match is None:
            return None
        if match.group("para"):
            return match.start(), match.end()
        verdict = _punct_verdict(buf, start, match, final)
        if verdict is None:
            return None
        if verdict:
            return match.end(), match.end()
    return None


def _window(buf: str, start: int, max_chars: int) -> tuple[str, int]:
    """Normalised text from ``start``, stopping once longer than max_chars, and its raw end.

    Words are only read as far as needed, so a huge unbroken word costs no more than a short one.
    """
    words: list[str] = []
    size = -1  # length of " ".join(words)
    pos = _skip_spaces(buf, start)
    while pos < len(buf):
        match = _WORD.match(buf, pos, pos + max(1, max_chars - size))
        if match is None:
            break
        words.append(match.group())
        size += len(match.group()) + 1
        if size > max_chars:
            return " ".join(words), match.end()
        pos = _skip_spaces(buf, match.end())
    return " ".join(words), len(buf)


def _last_break(pattern: re.Pattern[str], span: str, low: int, high: int) -> int | None:
    cuts = [m.end() for m in pattern.finditer(span) if low <= m.end() <= high]
    return cuts[-1] if cuts else None


def _head_cut(window: str, max_chars: int) -> int:
    """Where to cut an over-long sentence: the head is ``window[:cut]``, at most max_chars."""
    span = window[: max_chars + 1]
    low = max(1, max_chars // 3)
    for pattern in (_STRONG_BREAK, _WEAK_BREAK):
        cut = _last_break(pattern, span, low, max_chars)
        if cut is not None:
            return cut
    space = span.rfind(" ")
    return space if space > 0 else max_chars


def _skip_visible(buf: str, start: int, count: int) -> int:
    """Raw position just after the first ``count`` non-space characters from ``start``."""
    pos = start
    while count > 0:
        begin = _skip_spaces(buf, pos)
        match = _WORD.match(buf, begin, begin + count)
        if match is None:
            return len(buf)
        count -= match.end() - begin
        pos = match.end()
    return pos


def _next_piece(buf: str, pos: int, max_chars: int, final: bool) -> tuple[str, int] | None:
    """The next piece from ``pos`` and where to resume, or None if more text is needed."""
    window, limit = _window(buf, pos, max_chars)
    if not window:
        return None
    found = _find_boundary(buf, pos, limit, final)
    if found is not None:
        end, resume = found
        sentence = _normalise(buf[pos:end])
        if len(sentence) <= max_chars:
            return sentence, resume
    elif len(window) <= max_chars:
        return (window, len(buf)) if final else None
    cut = _head_cut(window, max_chars)
    head = window[:cut]
    return head, _skip_visible(buf, pos, cut - head.count(" "))


def _drain(buf: str, max_chars: int, final: bool) -> tuple[list[str], int]:
    """All pieces of ``buf`` that are certain (all of them if final) and the consumed length."""
    pieces: list[str] = []
    pos = 0
    while True:
        pos = _skip_spaces(buf, pos)
        piece = _next_piece(buf, pos, max_chars, final)
        if piece is None:
            return pieces, pos
        text, pos = piece
        if _has_word_char(text):
            pieces.append(text)


def _check_max_chars(max_chars: int) -> int:
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    return max_chars


def split_sentences(text: str, max_chars: int = DEFAULT_MAX_SENTENCE_CHARS) -> list[str]:
    """Split text into sentences ready for synthesis, in order.

    Whitespace is normalised and there are no empty items. Sentences longer than max_chars
    are split further at the best clause boundary (``;``, ``:``, em/en dash, then ``,``,
    then spaces) so no item exceeds max_chars; a word longer than max_chars is hard-cut.
    """
    pieces, _ = _drain(text, _check_max_chars(max_chars), final=True)
    return pieces


class SentenceBuffer:
    """Incremental splitter for text arriving in arbitrary fragments.

    ``feed`` returns the pieces that are now certain; ``flush`` returns the rest at the end
    of input and leaves the buffer empty for reuse. Together they yield exactly
    ``split_sentences`` of the concatenated fragments.
    """

    def __init__(self, max_chars: int = DEFAULT_MAX_SENTENCE_CHARS) -> None:
        self._max_chars = _check_max_chars(max_chars)
        self._pending = ""

    def feed(self, fragment: str) -> list[str]:
        """Add a fragment; return the sentences that are now certain to be complete."""
        self._pending += fragment
        pieces, consumed = _drain(self._pending, self._max_chars, final=False)
        self._pending = self._pending[consumed:]
        return pieces

    def flush(self) -> list[str]:
        """Return whatever remains (end of input) and reset the buffer."""
        pieces, _ = _drain(self._pending, self._max_chars, final=True)
        self._pending = ""
        return pieces


def word_count(text: str) -> int:
    """Number of whitespace-separated words containing at least one letter or digit."""
    return sum(1 for word in text.split() if _has_word_char(word))


def cut_first_piece(sentence: str) -> list[str]:
    """A long first sentence as ``[head, rest]``, cut at its first clause boundary (``,``
    ``;`` ``:`` or a dash) that leaves a head of a handful of words and a rest of more than
    one word; otherwise ``[sentence]``. Only a text's first sentence is cut: the first audio
    then waits for a few words, not for a whole long sentence."""
    if word_count(sentence) < FIRST_PIECE_FROM_WORDS:
        return [sentence]
    fewest, most = FIRST_PIECE_WORDS
    for match in _CLAUSE_END.finditer(sentence):
        head, rest = sentence[: match.end()].strip(), sentence[match.end() :].strip()
        words = word_count(head)
        if words > most:
            break
        if words >= fewest and word_count(rest) >= fewest:
            return [head, rest]
    return [sentence]
