"""Capture a response body off the network, as Chromium received it, while the page
itself streams it (Playwright's ``response.body()`` loses the body of a fetch whose page
read it as a stream, so this uses the DevTools protocol's ``streamResourceContent``)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from playwright.async_api import CDPSession, Page


class BodyCapture:
    """The body of the next request whose URL ends with ``suffix``."""

    def __init__(self, cdp: CDPSession, suffix: str) -> None:
        self._cdp = cdp
        self._suffix = suffix
        self._request_id: str | None = None
        self._buffered = b""
        self._chunks: list[bytes] = []
        self._streaming: asyncio.Future[Any] | None = None
        self._finished = asyncio.Event()

    @classmethod
    async def start(cls, page: Page, suffix: str) -> BodyCapture:
        cdp = await page.context.new_cdp_session(page)
        capture = cls(cdp, suffix)
        cdp.on("Network.requestWillBeSent", capture._on_request)
        cdp.on("Network.dataReceived", capture._on_data)
        cdp.on("Network.loadingFinished", capture._on_end)
        cdp.on("Network.loadingFailed", capture._on_end)
        await cdp.send("Network.enable")
        return capture

    def _on_request(self, params: dict[str, Any]) -> None:
        if self._request_id is None and params["request"]["url"].endswith(self._suffix):
            self._request_id = params["requestId"]
            # asked before the answer arrives: every byte then comes in dataReceived events
            self._streaming = asyncio.ensure_future(
                self._cdp.send("Network.streamResourceContent", {"requestId": self._request_id})
            )

    def _on_data(self, params: dict[str, Any]) -> None:
        if params["requestId"] == self._request_id and params.get("data"):
            self._chunks.append(base64.b64decode(params["data"]))

    def _on_end(self, params: dict[str, Any]) -> None:
        if params["requestId"] == self._request_id:
            self._finished.set()

    async def body(self) -> bytes:
        """The whole body, once the response has ended."""
        await asyncio.wait_for(self._finished.wait(), 60)
        assert self._streaming is not None
        buffered = (await self._streaming).get("bufferedData", "")
        return base64.b64decode(buffered) + b"".join(self._chunks)
