"""Reading Wyoming events strictly: a malformed frame is an error, not an end of stream.

The ``wyoming`` library's reader returns ``None`` both at EOF and on a frame it cannot
parse, so a garbage line looks like a polite disconnect and the client never learns why
the connection closed. This reader returns ``None`` only at a clean EOF between events and
raises :class:`ProtocolError` for everything else, so the handler can answer with an
``error`` event before it hangs up.

Frame layout (see docs/wyoming.md): a JSON header line with ``type`` and optional
``data``, ``data_length`` and ``payload_length``; then ``data_length`` bytes of JSON that
are merged over ``data``; then ``payload_length`` raw bytes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from wyoming.event import Event

PROTOCOL_ERROR = "protocol_error"
"""Error code sent to the client for frames and event sequences that break the protocol."""

MAX_DATA_BYTES = 4 * 1024 * 1024
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024


class ProtocolError(Exception):
    """The client sent something that is not a valid Wyoming event (or not now)."""

    code = PROTOCOL_ERROR


async def read_event(reader: asyncio.StreamReader) -> Event | None:
    """The next event, or ``None`` at a clean end of stream; raises ProtocolError."""
    line = await _read_header_line(reader)
    if line is None:
        return None
    header = _json_object(line, "event header")
    kind = header.get("type")
    if not isinstance(kind, str) or not kind:
        raise ProtocolError("event header has no 'type'")
    data = header.get("data")
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        raise ProtocolError(f"'data' of {kind} is not a JSON object")
    data_length = _length(header, "data_length", MAX_DATA_BYTES)
    if data_length:
        extra = await _read_exactly(reader, data_length, f"data of {kind}")
        data = {**data, **_json_object(extra, f"data of {kind}")}
    payload_length = _length(header, "payload_length", MAX_PAYLOAD_BYTES)
    payload = await _read_exactly(reader, payload_length, f"payload of {kind}")
    return Event(type=kind, data=data, payload=payload or None)


async def _read_header_line(reader: asyncio.StreamReader) -> bytes | None:
    """The next non-blank header line, or None at EOF before any byte of it."""
    while True:
        try:
            line = await reader.readline()
        except ValueError:  # asyncio's LimitOverrunError: no newline within the limit
            raise ProtocolError("event header line is too long") from None
        if not line:
            return None
        if not line.endswith(b"\n"):
            raise ProtocolError("connection closed in the middle of an event header")
        if line.strip():
            return line


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:  # said in words: the client's bytes are not echoed
        raise ProtocolError(
            f"{what} is not JSON ({error.msg.lower()} at byte {error.pos})"
        ) from None
    except ValueError:  # UnicodeDecodeError
        raise ProtocolError(f"{what} is not JSON (it is not UTF-8 text)") from None
    if not isinstance(value, dict):
        raise ProtocolError(f"{what} is not a JSON object")
    return value


def _length(header: dict[str, Any], key: str, limit: int) -> int:
    value = header.get(key)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limit:
        raise ProtocolError(f"'{key}' must be an integer from 0 to {limit}")
    return value


async def _read_exactly(reader: asyncio.StreamReader, size: int, what: str) -> bytes:
    if size == 0:
        return b""
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as error:
        raise ProtocolError(
            f"connection closed after {len(error.partial)} of {size} bytes of the {what}"
        ) from None
