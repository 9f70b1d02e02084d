"""``/docs`` loads Swagger UI from the adapter: nothing leaves the machine."""

from __future__ import annotations

from playwright.async_api import expect

from tests.adapters.openai.support import RunningAdapter
from tests.adapters.openai.web.conftest import WatchedPage


async def test_swagger_ui_works_offline(watched: WatchedPage, web_server: RunningAdapter) -> None:
    page = watched.page
    await page.goto(web_server.url + "/docs")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("voicebus")
    operation = page.locator(".opblock-summary-path", has_text="/v1/engines").first
    await expect(operation).to_be_visible()  # the schema loaded and rendered
    await watched.screenshot("docs")
    assert watched.outside == []
    assert watched.problems() == []


async def test_docs_assets_are_served(web_server: RunningAdapter) -> None:
    async with web_server.http() as http:
        page = await http.get("/docs")
        script = await http.get("/docs-assets/swagger-ui-bundle.js")
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn." not in page.text and "https://" not in page.text.split("<script>")[0]
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text
    async with web_server.http() as http:
        assert (await http.get("/redoc")).status_code == 404  # it would call a CDN
