"""Media Streams messages: parsing what Twilio sends, building what we may send.

Twilio sends JSON text frames (numbers as strings, except in ``mediaFormat``); we send only
``media`` (raw mu-law 8 kHz, base64, no header), ``mark`` and ``clear``, each with the
stream's ``streamSid``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

INBOUND_EVENTS = frozenset({"connected", "start", "media", "dtmf", "mark", "stop"})


class MessageError(ValueError):
    """A frame that is not a Media Streams message we understand."""


@dataclass(frozen=True)
class Inbound:
    event: str
    body: dict[str, Any] = field(default_factory=dict)

    def section(self) -> dict[str, Any]:
        """The event's own object (``start``, ``media``, ``dtmf``, ``mark``, ``stop``)."""
        value = self.body.get(self.event)
        if not isinstance(value, dict):
            raise MessageError(f"{self.event} message without its {self.event!r} object")
        return value

    def payload(self) -> bytes:
        """The decoded audio of a ``media`` message."""
        try:
            return base64.b64decode(str(self.section()["payload"]), validate=True)
        except (KeyError, binascii.Error) as error:
            raise MessageError("media message without a valid base64 payload") from error


def parse(raw: str) -> Inbound:
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as error:
        raise MessageError("frame is not JSON") from error
    if not isinstance(body, dict) or body.get("event") not in INBOUND_EVENTS:
        raise MessageError("frame is not a known Media Streams event")
    return Inbound(str(body["event"]), body)


def media(stream_sid: str, frame: bytes) -> str:
    payload = base64.b64encode(frame).decode("ascii")
    return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def mark(stream_sid: str, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})
