"""NATS subject names, all under one configurable prefix."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


def check_token(value: str, what: str) -> str:
    """A subject token (engine name, request id) may not contain dots, spaces or wildcards."""
    if not _TOKEN.match(value):
        raise ValueError(f"{what} {value!r} may only contain letters, digits, '_' and '-'")
    return value


@dataclass(frozen=True)
class Subjects:
    prefix: str = "voicebus"

    def synth(self, engine: str) -> str:
        return f"{self.prefix}.synth.{check_token(engine, 'engine name')}"

    def ready(self, engine: str) -> str:
        """Subscribed (queue group ``<engine>``) once per free inference slot, each time for
        one message only, so a request published here reaches a worker that starts it now."""
        return f"{self.prefix}.ready.{check_token(engine, 'engine name')}"

    def idle(self, engine: str) -> str:
        """A worker with a free slot and nothing queued says so here; a worker with
        requests waiting hands one back (``busy``) so its client re-sends it to ``ready``."""
        return f"{self.prefix}.idle.{check_token(engine, 'engine name')}"

    def cancel(self, request_id: str) -> str:
        return f"{self.prefix}.cancel.{check_token(request_id, 'request id')}"

    @property
    def cancel_all(self) -> str:
        return f"{self.prefix}.cancel.*"

    def control(self, engine: str) -> str:
        return f"{self.prefix}.control.{check_token(engine, 'engine name')}"

    @property
    def announce(self) -> str:
        return f"{self.prefix}.discovery.announce"

    @property
    def discover(self) -> str:
        return f"{self.prefix}.discovery.ping"

    @property
    def adapter_status(self) -> str:
        """Every adapter supervisor answers a request here with an ``AdapterStatusList``."""
        return f"{self.prefix}.status.adapters"
