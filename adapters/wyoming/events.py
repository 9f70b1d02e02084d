"""Typed Wyoming events from raw ones, and the ``error`` event that says why a request ended.

Malformed events become a :class:`ProtocolError` naming what is wrong in words (never a
Python repr), which the handler answers with an ``error`` event before it closes.
"""

from __future__ import annotations

from typing import TypeVar

from wyoming.error import Error
from wyoming.event import Event, Eventable
from wyoming.tts import Synthesize, SynthesizeChunk

from adapters.wyoming.framing import ProtocolError
from hub.contract.errors import VoicebusError
from hub.contract.schemas import ErrorCode

E = TypeVar("E", bound=Eventable)


def error_event(error: Exception) -> Event:
    """The ``error`` event telling the client why its request ended."""
    if isinstance(error, ProtocolError):
        return Error(text=str(error), code=error.code).event()
    if isinstance(error, VoicebusError):
        return Error(text=str(error), code=error.code.value).event()
    return Error(
        text="internal error in the Wyoming adapter", code=ErrorCode.INTERNAL.value
    ).event()


def parse_event(cls: type[E], event: Event) -> E:
    """The typed event, or a ProtocolError naming what is wrong with it."""
    data = event.data
    if data.get("voice", {}) is None:
        data = {key: value for key, value in data.items() if key != "voice"}
    elif not isinstance(data.get("voice", {}), dict):  # the library would drop "alloy" silently
        raise ProtocolError(f"'voice' of {event.type} must be a JSON object")
    try:
        parsed = cls.from_event(Event(event.type, data, event.payload))
    except KeyError as missing:
        raise ProtocolError(f"invalid {event.type} event: {missing.args[0]!r} is missing") from None
    except (TypeError, ValueError, AttributeError):
        raise ProtocolError(f"invalid {event.type} event: a field has the wrong type") from None
    text = getattr(parsed, "text", None)
    if isinstance(parsed, Synthesize | SynthesizeChunk) and not isinstance(text, str):
        raise ProtocolError(f"'text' of {event.type} must be a string")
    voice = getattr(parsed, "voice", None)
    if voice is not None and not all(
        isinstance(value, str | None) for value in (voice.name, voice.language, voice.speaker)
    ):
        raise ProtocolError(f"'voice' of {event.type} must hold strings")
    return parsed  # type: ignore[return-value]
