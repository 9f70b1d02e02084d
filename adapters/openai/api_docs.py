"""``/docs``: Swagger UI with its JavaScript and CSS served by the adapter itself.

FastAPI's own docs page loads Swagger UI from a CDN, which fails offline. The same page is
built here with the assets of the ``fastapi-offline`` package (Swagger UI 5 and a favicon,
its ``static`` folder) mounted at ``/docs-assets``, so the API docs work on a machine with
no way out. The app is created with ``docs_url=None`` so this route takes its place, and
``redoc_url=None``: ReDoc fetches its logo from its vendor's CDN whatever it is told, so it
is not offered.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"


def assets_directory() -> Path:
    return Path(str(importlib.resources.files("fastapi_offline") / "static"))


router = APIRouter(include_in_schema=False)
router.mount(ASSETS_URL, StaticFiles(directory=assets_directory()), name="docs-assets")


def _openapi_url(request: Request) -> str:
    return request.app.openapi_url or "/openapi.json"


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - API docs",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        # no badge that asks validator.swagger.io about the schema
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(OAUTH2_REDIRECT_URL)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
