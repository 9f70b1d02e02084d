"""Who may make the bot speak, and how often: every refusal is a sentence for the user."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable


class Refusal(Exception):
    """A request the bot will not do; ``str()`` is shown to the user as it is."""


class RateLimiter:
    """At most ``limit`` utterances per user in any ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: dict[int, deque[float]] = {}

    def check(self, user_id: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        times = self._times.setdefault(user_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            wait = self.window - (now - times[0])
            raise Refusal(f"You are going too fast: wait {wait:.0f} s and try again.")
        times.append(now)


def check_guild(guild_id: int | None, allowed: Iterable[int]) -> int:
    if guild_id is None:
        raise Refusal("I only speak in servers, not in direct messages.")
    allowed = list(allowed)
    if allowed and guild_id not in allowed:
        raise Refusal("I am not allowed to speak in this server.")
    return guild_id


def check_roles(member_roles: Iterable[int], allowed: Iterable[int], required: int | None) -> None:
    roles = set(member_roles)
    allowed = set(allowed)
    if allowed and not roles & allowed:
        raise Refusal("You need one of the roles allowed to use me.")
    if required is not None and required not in roles:
        raise Refusal(f"You need the <@&{required}> role to make me speak here.")
