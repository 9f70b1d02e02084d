"""Per-user rate limits and the memory of events already answered (Slack retries)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds for each key (a sliding window)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one request for ``key``; False (and not counted) when over the limit."""
        now = self._clock()
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may ask again."""
        times = self._seen.get(key)
        if not times or len(times) < self.limit:
            return 0.0
        return max(0.0, self.window - (self._clock() - times[0]))


class EventMemory:
    """Event ids seen in the last ``ttl`` seconds: Slack resends an event it thinks went
    unanswered (``X-Slack-Retry-Num``) with the same ``event_id``."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self._clock = ttl, clock
        self._seen: dict[str, float] = {}

    def first_time(self, event_id: str) -> bool:
        """True the first time ``event_id`` is seen (and remember it), False for a retry."""
        now = self._clock()
        for old in [key for key, at in self._seen.items() if now - at >= self.ttl]:
            del self._seen[old]
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True
