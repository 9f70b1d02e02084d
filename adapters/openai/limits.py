"""Bounds on request bodies, enforced while they are read: size and time.

FastAPI buffers a whole JSON body before validation runs, so the length check on ``input``
protects the engines, not the process. This pure ASGI middleware makes reading a body
larger than ``max_body_bytes`` (by its ``Content-Length``, or counted as a chunked body
arrives) raise :class:`BodyTooLarge`, and a body that stops arriving for ``body_timeout``
seconds (a ``Content-Length: 900000`` with a short body) raise :class:`BodyTooSlow`: both
``HTTPException``s that the one error handler answers in OpenAI's shape (413, 408).
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException

from adapters.openai.metrics import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body is larger than {limit} bytes.")


class BodyTooSlow(HTTPException):
    def __init__(self, timeout: float) -> None:
        super().__init__(408, f"The request body stopped arriving for {timeout:g} seconds.")


class BodyLimitMiddleware:
    """``max_body_bytes`` for every route, ``max_upload_bytes`` under ``upload_prefix``."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        *,
        upload_prefix: str = "/v1/voices",
        max_upload_bytes: int = 12 * 1024 * 1024,
        body_timeout: float = 30.0,
    ) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.max_body_bytes = max_body_bytes
        self.upload_prefix = upload_prefix
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        uploading = str(scope.get("path", "")).startswith(self.upload_prefix)
        limit = self.max_upload_bytes if uploading else self.max_body_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        too_long = declared.isdigit() and (len(declared) > 18 or int(declared) > limit)
        received = 0
        body_done = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if too_long:
                raise BodyTooLarge(limit)
            if body_done:  # later reads only wait for a disconnect: no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                raise BodyTooSlow(self.body_timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
