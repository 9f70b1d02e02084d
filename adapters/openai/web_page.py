"""``/``: the hub's web page (speak, engines, voice library, jobs, cache), and its files.

The page is static: ``adapters/openai/web/`` (HTML, one stylesheet, ES modules; no build
step, nothing from a CDN) shipped as package data and served at ``/web``. Everything it
shows comes from the adapter's own REST API, with the API key the user types in when keys
are on, so the page itself needs none: it holds no data and no secret. See docs/web.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB_DIRECTORY = Path(__file__).with_name("web")
WEB_URL = "/web"

router = APIRouter(include_in_schema=False)
router.mount(WEB_URL, StaticFiles(directory=WEB_DIRECTORY), name="web")


@router.get("/")
async def index() -> FileResponse:
    # no-cache: a browser revalidates, so an upgraded adapter serves its new page at once
    return FileResponse(WEB_DIRECTORY / "index.html", headers={"Cache-Control": "no-cache"})
