"""Events already answered, shared by every adapter process and kept across restarts.

Slack resends an event it thinks went unanswered (after about 0 s, 1 min and 5 min, with
the same ``event_id``), possibly to another replica or after a restart. A JetStream KV
bucket whose entries expire after ``ttl`` holds the ids: ``create`` succeeds only for the
first. The bucket comes from the hub client's facade (``await hub.kv(...)``); if JetStream
fails, the process-local memory still answers.
"""

from __future__ import annotations

import logging
import re

from nats.errors import Error as NatsError
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from adapters.slack.limits import EventMemory
from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^-_a-zA-Z0-9]")


class EventLedger:
    def __init__(self, kv: KeyValue, ttl: float) -> None:
        self._kv = kv
        self._local = EventMemory(ttl)

    @classmethod
    async def open(cls, hub: HubClient, bucket: str, ttl: float) -> EventLedger:
        kv = await hub.kv(bucket, history=1, ttl=ttl, description="Slack events answered")
        return cls(kv, ttl)

    async def first_time(self, event_id: str) -> bool:
        """True for the first delivery of ``event_id`` anywhere on the bus, else False."""
        if not self._local.first_time(event_id):
            return False
        try:
            await self._kv.create(_UNSAFE.sub("_", event_id), b"1")
        except KeyWrongLastSequenceError:
            return False
        except (NatsError, TimeoutError) as error:
            _LOGGER.warning("event ledger unavailable (%s); using this process's memory", error)
        return True
