"""Rate specs: ``60/min``, ``20000/day``, ``3/2s``, ``500/1.5h``: a count per window.

A window is a whole number of seconds from 1 second to 31 days. Units: ``s``/``sec``/
``second(s)``, ``m``/``min``/``minute(s)``, ``h``/``hr``/``hour(s)``, ``d``/``day(s)``,
optionally with a number in front (``2s``, ``1.5h``).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

MAX_WINDOW_SECONDS = 31 * 86_400
"""The longest window a limit may use (the usage bucket keeps counters this long)."""

_UNITS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86_400),
}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([A-Za-z]+)\s*$")
_EXAMPLES = "e.g. 60/min, 20000/day, 3/2s or 500/1.5h"


class RateSpecError(ValueError):
    """A rate spec that cannot be read; the message says what is wrong and how to write it."""


class RateSpec(BaseModel):
    """At most ``limit`` units (requests or characters) per ``window_seconds``."""

    limit: int = Field(ge=1)
    window_seconds: int = Field(ge=1, le=MAX_WINDOW_SECONDS)

    @classmethod
    def parse(cls, text: str) -> RateSpec:
        match = _SPEC.match(text)
        if match is None:
            raise RateSpecError(f"bad rate {text!r}: write COUNT/WINDOW, {_EXAMPLES}")
        count, number, unit = match.groups()
        seconds_per_unit = _UNITS.get(unit.lower())
        if seconds_per_unit is None:
            raise RateSpecError(
                f"bad rate {text!r}: unknown unit {unit!r} (use s, min, h or day; {_EXAMPLES})"
            )
        window = float(number or 1) * seconds_per_unit
        if window != int(window) or window < 1:
            raise RateSpecError(f"bad rate {text!r}: the window must be whole seconds, >= 1 s")
        if window > MAX_WINDOW_SECONDS:
            raise RateSpecError(f"bad rate {text!r}: the longest window is 31 days")
        if int(count) < 1:
            raise RateSpecError(f"bad rate {text!r}: the count must be at least 1")
        return cls(limit=int(count), window_seconds=int(window))

    def describe(self) -> str:
        """The spec written back, in the largest unit that divides the window."""
        for name, seconds in (("day", 86_400), ("h", 3600), ("min", 60)):
            if self.window_seconds % seconds == 0:
                amount = self.window_seconds // seconds
                return f"{self.limit}/{'' if amount == 1 else amount}{name}"
        return f"{self.limit}/{self.window_seconds}s"
