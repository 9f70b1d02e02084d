"""The HTTP server's own guards, below FastAPI: a deadline for a request's headers, a cap on
open connections, and OpenAI-shaped JSON for HTTP that cannot even be parsed.

uvicorn waits forever for headers that never finish (50 half-sent requests held 50
connections open), and answers malformed HTTP with a text/plain line an OpenAI client cannot
read; past ``max_connections`` a new connection gets a JSON 503 at once and is closed.
:func:`guarded_protocol` makes uvicorn's h11 protocol class with all three; the body's own
deadline is :class:`adapters.openai.limits.BodyLimitMiddleware`'s.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_LOGGER = logging.getLogger(__name__)


def error_bytes(status: int, reason: str, message: str, code: str) -> bytes:
    """A whole HTTP/1.1 response with an OpenAI-style error body; the connection closes."""
    body = json.dumps(
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": code,
            }
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


LINGER_SECONDS = 2.0
"""How long a connection answered 408 or 400 stays half-open for the client to read it."""


class GuardedH11Protocol(H11Protocol):
    header_timeout: float = 10.0
    max_connections: int = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._answered = False  # a 408 or 400 went out: the rest is discarded

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            message = f"The server has {self.max_connections} connections open; retry shortly."
            transport.write(
                error_bytes(503, "Service Unavailable", message, "too_many_connections")
            )
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._answered:
            return  # answered 408 or 400 already: what still arrives is discarded
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm()  # part of the next request's headers: they get their deadline
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        message = f"Request headers did not arrive within {self.header_timeout:g} seconds."
        self.transport.write(error_bytes(408, "Request Timeout", message, "request_timeout"))
        self._linger_close()

    def _linger_close(self) -> None:
        """Close after the answer (408 or 400), without a reset. Closing a socket whose peer's
        bytes were not read yet sends a TCP reset, which can destroy the answer before the
        client reads it; so send FIN, keep reading (and discarding) for a moment, then
        close."""
        self._answered = True
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def send_400_response(self, msg: str) -> None:
        _LOGGER.debug("malformed HTTP from %s", self.client)
        message = "Malformed HTTP request: it could not be parsed."
        self.transport.write(error_bytes(400, "Bad Request", message, "invalid_http"))
        self._linger_close()


def guarded_protocol(header_timeout: float, max_connections: int) -> type[GuardedH11Protocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with these limits."""
    limits = {"header_timeout": header_timeout, "max_connections": max_connections}
    return type("GuardedH11Protocol", (GuardedH11Protocol,), limits)
