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
    """``max_body_bytes`` for every route, ``max_upload_bytes`` under ``upload_prefix``."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        *,
        upload_prefix: str = "/v1/voices",
        max_upload_bytes: int = 12 * 1024 * 1024,
    ) -> None:
        self.app = app
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

        async def limited_receive() -> Message:
            nonlocal received
            if too_long:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
