"""A bound on request bodies, enforced while they are read.

FastAPI buffers a whole JSON body before validation runs, so the length check on ``input``
protects the engines, not the process. This pure ASGI middleware makes reading a body
larger than ``max_body_bytes`` (by its ``Content-Length``, or counted as a chunked body
arrives) raise :class:`BodyTooLarge`, an ``HTTPException`` that the one error handler
answers as 413 in OpenAI's shape.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException

from adapters.openai.metrics import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body is larger than {limit} bytes.")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        too_long = declared.isdigit() and (len(declared) > 18 or int(declared) > self.limit)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if too_long:
                raise BodyTooLarge(self.limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited_receive, send)
