"""An API key as stored on the bus: who it is, what it may do, how much, and its hash.

The secret itself is never stored: only ``sha256(salt + secret)`` with a random salt of the
key's own (see docs/keys.md for why a fast hash is right for a random 256-bit token).
"""

from __future__ import annotations

import enum
import re
import time

from pydantic import BaseModel, Field

from hub.keys.spec import RateSpec

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)


class Scope(enum.StrEnum):
    """What a key may do. ``admin`` implies every other scope."""

    SPEAK = "speak"  # speech, models, voice lists, jobs
    VOICES = "voices"  # the voice library: upload, rename, delete cloned voices
    CALLS = "calls"  # live phone-call control (Twilio say / hangup / list)
    ADMIN = "admin"  # engines control, keys, cache; and everything above


def parse_scopes(names: list[str] | tuple[str, ...]) -> frozenset[Scope]:
    """Scope names (case-insensitive) to scopes; a clear error naming the valid ones."""
    scopes = set()
    for name in names:
        try:
            scopes.add(Scope(name.strip().lower()))
        except ValueError:
            valid = ", ".join(scope.value for scope in Scope)
            raise ValueError(f"unknown scope {name!r} (valid: {valid})") from None
    if not scopes:
        raise ValueError("a key needs at least one scope")
    return frozenset(scopes)


def check_key_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(
            f"bad key name {name!r}: 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


class KeyRecord(BaseModel):
    """One key's entry in the keys bucket (``key.<id>``)."""

    id: str = Field(pattern=r"^[0-9a-f]{12}$")
    name: str = Field(pattern=NAME_PATTERN)
    scopes: list[Scope]
    salt: str
    secret_hash: str
    rate: RateSpec | None = None
    chars: RateSpec | None = None
    created_at: float = Field(default_factory=time.time)
    revoked_at: float | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def allows(self, scope: Scope) -> bool:
        return Scope.ADMIN in self.scopes or scope in self.scopes

    def public(self) -> dict[str, object]:
        """Everything but the salt and hash (what ``keys list`` shows)."""
        return self.model_dump(mode="json", exclude={"salt", "secret_hash"})
