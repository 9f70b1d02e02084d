"""The page's files over plain HTTP: what is served, with what headers, and nothing else."""

from __future__ import annotations

from tests.adapters.openai.support import RunningAdapter


async def test_the_page_and_its_files_are_served(web_server: RunningAdapter) -> None:
    async with web_server.http() as http:
        page = await http.get("/")
        script = await http.get("/web/app.js")
        style = await http.get("/web/style.css")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/web/app.js">' in page.text
    assert "https://" not in page.text  # nothing from a CDN
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for answer in (page, script, style):
        assert answer.headers["cache-control"] == "no-cache"


async def test_nothing_outside_the_web_folder_is_served(web_server: RunningAdapter) -> None:
    async with web_server.http() as http:
        for path in ("/web/../web_page.py", "/web/%2e%2e/app.py", "/web/", "/web/nope.js"):
            answer = await http.get(path)
            assert answer.status_code == 404, path
            assert "error" in answer.json()  # the API's own error shape
