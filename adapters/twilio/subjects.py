"""Bus subjects of live calls, under the hub's subject prefix.

``<prefix>.calls.<CallSid>.say`` and ``.hangup`` drive a call; ``.events`` tells what
happens in it (started, dtmf, barge-in, mark, stopped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CALL_SID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_call_sid(value: str) -> str:
    if not _CALL_SID.match(value):
        raise ValueError(f"{value!r} is not a call SID")
    return value


@dataclass(frozen=True)
class CallSubjects:
    prefix: str

    def say(self, call_sid: str) -> str:
        return f"{self.prefix}.calls.{check_call_sid(call_sid)}.say"

    def hangup(self, call_sid: str) -> str:
        return f"{self.prefix}.calls.{check_call_sid(call_sid)}.hangup"

    def events(self, call_sid: str) -> str:
        return f"{self.prefix}.calls.{check_call_sid(call_sid)}.events"

    def commands(self) -> str:
        """Every call's say and hangup subjects (one wildcard subscription)."""
        return f"{self.prefix}.calls.*.*"

    def parse(self, subject: str) -> tuple[str, str] | None:
        """(call sid, command) of a command subject, or None."""
        head = f"{self.prefix}.calls."
        if not subject.startswith(head):
            return None
        parts = subject[len(head) :].split(".")
        if len(parts) != 2 or parts[1] not in ("say", "hangup"):
            return None
        return parts[0], parts[1]
