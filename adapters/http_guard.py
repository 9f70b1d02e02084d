"""The HTTP server's own guards, below every HTTP adapter's app: deadlines for a request's
headers and for a body that stops arriving, a cap on open connections and on the size of a
request's headers, and OpenAI-shaped JSON for HTTP that cannot even be parsed.

uvicorn waits forever for headers that never finish (50 half-sent requests held 50
connections open), and answers malformed HTTP with a text/plain line a client cannot read;
past ``max_connections`` a new connection gets a JSON 503 at once and is closed. h11 bounds
the headers only while they arrive in pieces, so 100 KB of headers in one read were taken;
past ``max_header_bytes`` they get a JSON 431.
:func:`guarded_protocol` makes uvicorn's h11 protocol class with these limits;
``adapters/asgi_server.py`` serves every HTTP adapter (OpenAI, Twilio, Slack) with it. An
app with a body deadline of its own (the OpenAI adapter's
:class:`adapters.openai.limits.BodyLimitMiddleware`, which also bounds the size) passes
``body_timeout=None``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
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


@dataclass(frozen=True)
class HttpLimits:
    """What a connection may take: seconds for the headers, seconds a body may stall
    (None: the app has its own deadline), how many connections may be open at once, and how
    large a request's headers may be (h11 bounds only headers that arrive in pieces)."""

    header_timeout: float = 10.0
    body_timeout: float | None = 30.0
    max_connections: int = 256
    max_header_bytes: int = 32 * 1024


LINGER_SECONDS = 2.0
"""How long a connection answered 408, 400 or 431 stays half-open for the client to read it."""


class GuardedH11Protocol(H11Protocol):
    limits: HttpLimits = HttpLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None  # "headers" or "body"
        self._answered = False  # a 408, 400 or 431 went out: the rest is discarded

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        cap = self.limits.max_connections
        if len(self.connections) > cap:
            message = f"The server has {cap} connections open; retry shortly."
            transport.write(
                error_bytes(503, "Service Unavailable", message, "too_many_connections")
            )
            transport.close()
            return
        self._arm("headers")

    def data_received(self, data: bytes) -> None:
        if self._answered:
            return  # answered 408, 400 or 431 already: what still arrives is discarded
        if self._headers_too_large(data):
            message = f"Request headers are larger than {self.limits.max_header_bytes} bytes."
            self.transport.write(
                error_bytes(431, "Request Header Fields Too Large", message, "headers_too_large")
            )
            self._linger_close()
            return
        super().data_received(data)
        state = self.conn.their_state
        if self.transport.is_closing() or self._upgraded():
            self._disarm()
        elif state is h11.IDLE:
            if self._waiting_for != "headers":
                self._disarm()  # a body deadline of the request before
            self._arm("headers")  # part of the next request's headers: they get their deadline
        elif state is h11.SEND_BODY and self.limits.body_timeout is not None:
            self._disarm()
            self._arm("body")  # a stall, not the whole body, is bounded
        else:
            self._disarm()

    def _headers_too_large(self, data: bytes) -> bool:
        """Between requests, the headers that h11 holds plus ``data`` pass the limit."""
        if self.conn.their_state is not h11.IDLE:
            return False
        pending = self.conn.trailing_data[0] + data
        end = pending.find(b"\r\n\r\n")
        return (end if end >= 0 else len(pending)) > self.limits.max_header_bytes

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, waiting_for: str) -> None:
        limits = self.limits
        timeout = limits.header_timeout if waiting_for == "headers" else limits.body_timeout
        if self._deadline is None and timeout is not None:
            self._waiting_for = waiting_for
            self._deadline = self.loop.call_later(timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _upgraded(self) -> bool:
        """The connection became a WebSocket: no longer ours to guard (uvicorn leaves h11
        waiting for the upgrade request's end, which looks like a body that stopped)."""
        return self.transport.get_protocol() is not self

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self._upgraded():
            return
        if self._waiting_for == "headers" and self.conn.their_state is h11.IDLE:
            message = (
                f"Request headers did not arrive within {self.limits.header_timeout:g} seconds."
            )
        elif self._waiting_for == "body" and self.conn.their_state is h11.SEND_BODY:
            if self.flow.read_paused:  # the app is slow to read, not the client to send
                self._arm("body")
                return
            message = f"The request body stopped arriving for {self.limits.body_timeout:g} seconds."
            if self.cycle is not None:
                if self.cycle.response_started:  # the app answered already: just hang up
                    self.transport.close()
                    return
                self.cycle.disconnected = True  # the app reads a disconnect, sends nothing
                self.cycle.message_event.set()
        else:
            return
        self.transport.write(error_bytes(408, "Request Timeout", message, "request_timeout"))
        self._linger_close()

    def _linger_close(self) -> None:
        """Close after the answer (408, 400 or 431), without a reset. Closing a socket whose peer's
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


def guarded_protocol(limits: HttpLimits) -> type[GuardedH11Protocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with these limits."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})
