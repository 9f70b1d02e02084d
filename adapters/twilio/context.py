"""What the adapter's routes share: settings, the hub, tokens, live calls, and the bus side."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from adapters.twilio.call import Call
from adapters.twilio.settings import TwilioSettings
from adapters.twilio.signature import SignatureCheck
from adapters.twilio.subjects import CallSubjects
from adapters.twilio.tokens import TokenBook
from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)


@dataclass
class TwilioContext:
    settings: TwilioSettings
    hub: HubClient
    tokens: TokenBook
    signatures: SignatureCheck
    subjects: CallSubjects
    calls: dict[str, Call] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: TwilioSettings, hub: HubClient) -> TwilioContext:
        key = settings.auth_token.get_secret_value()
        return cls(
            settings,
            hub,
            TokenBook(key),
            SignatureCheck(settings),
            CallSubjects(hub.settings.subject_prefix),
        )

    async def publish_event(self, call_sid: str, kind: str, data: dict[str, Any]) -> None:
        """Publish one call event on ``<prefix>.calls.<CallSid>.events`` (best effort)."""
        body = {"event": kind, "call_sid": call_sid, "time": time.time(), **data}
        try:
            await self.hub.publish(self.subjects.events(call_sid), json.dumps(body).encode())
        except Exception as error:  # the bus is down or reconnecting: the call goes on
            _LOGGER.warning("call %s: event %s not published: %s", call_sid, kind, error)
