"""``/``: the hub's web page (speak, engines, voice library, jobs, cache), and its files.

The page is static: ``adapters/openai/web/`` (HTML, one stylesheet, ES modules; no build
step, nothing from a CDN) shipped as package data and served at ``/web``. Everything it
shows comes from the adapter's own REST API, with the API key the user types in when keys
are on, so the page itself needs none: it holds no data and no secret. See docs/web.md.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

WEB_DIRECTORY = Path(__file__).with_name("web")
WEB_URL = "/web"
REVALIDATE = {"Cache-Control": "no-cache"}
"""Browsers keep the files but ask (ETag) each time, so an upgraded adapter's page is never
mixed with the old one's scripts."""
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' blob:; "
    "media-src 'self' blob:; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
"""The page runs only its own scripts and talks only to this adapter (blob: is its own
audio), so an injected script or a stray link could neither run nor send anything away."""


class PageFiles(StaticFiles):
    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(REVALIDATE)
        return response


router = APIRouter(include_in_schema=False)
router.mount(WEB_URL, PageFiles(directory=WEB_DIRECTORY), name="web")


@router.get("/")
async def index() -> FileResponse:
    headers = REVALIDATE | {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
    return FileResponse(WEB_DIRECTORY / "index.html", headers=headers)
