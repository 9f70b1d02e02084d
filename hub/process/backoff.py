"""How long a supervisor waits before starting a failed part again: a pause that grows with
each quick failure (1 s, 2 s, ... 30 s) and starts over once the part ran for a while."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    first: float = 1.0
    factor: float = 2.0
    ceiling: float = 30.0
    healthy_after: float = 60.0
    """A part that ran this long before failing starts over at ``first``."""

    def pause(self, previous: float | None, ran_for: float) -> float:
        """The pause after a failure: ``first`` after the first failure or a healthy run,
        else ``previous`` grown by ``factor`` up to ``ceiling``."""
        if previous is None or ran_for >= self.healthy_after:
            return self.first
        return min(previous * self.factor, self.ceiling)


DEFAULT_BACKOFF = Backoff()
