"""What a request must pass before it is routed: a real speed, speakable text of a sane
length, in a script its voice can read. Every refusal is a typed error that says what to do."""

from __future__ import annotations

import math

from hub.client.discovery import VoiceRoute
from hub.client.scripts import foreign_script
from hub.client.speakable import speakable
from hub.contract.errors import InvalidRequestError, TextTooLongError

MIN_SPEED, MAX_SPEED = 0.25, 4.0


def check_speed(speed: object) -> float:
    """A real, finite number from 0.25 to 4.0 (no strings, booleans, NaN or infinities)."""
    real = isinstance(speed, int | float) and not isinstance(speed, bool)
    if not real or not math.isfinite(speed) or not MIN_SPEED <= speed <= MAX_SPEED:  # type: ignore[arg-type]
        raise InvalidRequestError(
            f"speed {speed!r} is not a number from {MIN_SPEED} to {MAX_SPEED}",
            "1.0 is normal speed; 0.5 half as fast, 2.0 twice as fast",
        )
    return float(speed)  # type: ignore[arg-type]


def check_text(text: str, limit: int) -> str:
    """The speakable form of ``text``; refused when nothing speakable is left, or too long."""
    if len(text) > limit:
        raise TextTooLongError(
            f"text has {len(text)} characters; the limit is {limit}",
            "split it, or raise max_text_chars",
        )
    spoken = speakable(text)
    if not any(ch.isalnum() for ch in spoken):
        raise InvalidRequestError("text is empty", "send text with words in it")
    return spoken


def voice_that_reads(
    text: str, route: VoiceRoute, live: list[VoiceRoute], *, automatic: bool
) -> VoiceRoute | None:
    """None when ``route``'s voice can read ``text``; else, when the caller left the voice to
    the hub (``automatic``), a live voice that can; otherwise a clear error naming them."""
    script = foreign_script(text, route.voice.languages)
    if script is None:
        return None
    able = [other for other in live if foreign_script(text, other.voice.languages) is None]
    if automatic and able:
        return able[0]
    names = sorted({other.voice.name for other in able})
    raise InvalidRequestError(
        f"the text is mostly {script.title()} script, which voice {route.voice.name} "
        f"({', '.join(route.voice.languages) or 'no language'}) cannot read",
        f"voices that can: {', '.join(names[:10])}"
        if names
        else "no running voice can; start an engine with a voice for that language",
    )
