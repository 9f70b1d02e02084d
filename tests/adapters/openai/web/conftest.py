"""Fixtures of the web page tests: Debian's chromium driven by Playwright (one browser for
the session), and the REST adapter on a bus of its own with a real Piper worker, so the
tests may unload that engine without touching the one other tests share.

Every page blocks (and records) any request that leaves this machine, and records console
errors and uncaught exceptions; screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Route, async_playwright, expect

from hub.audio import wav_bytes
from hub.client import HubClient
from hub.process.natsserver import NatsServer
from tests.adapters.openai.support import RunningAdapter, adapter_settings, running_adapter
from tests.conftest import DEFAULT_VOICE, PrivateBus
from tests.helpers import collect, story
from tests.hub.cache.support import cache_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "web"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
WEB_BUCKET = "web-page-voices"
# Waits are for conditions, never fixed times; this only bounds them. Live panels refresh
# every 2 s after a 2 s discovery beat, so a loaded machine may need more than the default.
expect.set_options(timeout=15_000)
API_KEY = "web-test-key"
MICROPHONE_TEXT = story(2)


@pytest.fixture(scope="session")
async def microphone(web_hub: HubClient, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the browser's (fake) microphone hears: Piper reading :data:`MICROPHONE_TEXT`."""
    stream = await web_hub.open(MICROPHONE_TEXT, DEFAULT_VOICE)
    path = tmp_path_factory.mktemp("microphone") / "speech.wav"
    path.write_bytes(wav_bytes(await collect(stream), stream.sample_rate))
    return path


@pytest.fixture(scope="session")
async def browser(microphone: Path) -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run 'make system-packages' (requirements/debian.lock)")
    media = [
        "--use-fake-ui-for-media-stream",  # grant the microphone without asking
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone}",
    ]
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS + media, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
async def web_bus(nats_server: NatsServer, engine_logs: Path) -> AsyncIterator[PrivateBus]:
    async with PrivateBus.named(nats_server.url, "web-page", engine_logs) as bus:
        bus.engine()
        yield bus


@pytest.fixture(scope="session")
async def web_hub(web_bus: PrivateBus) -> HubClient:
    # With the audio cache on (a bucket of its own), so the page's cache panel has a cache.
    return await web_bus.client(DEFAULT_VOICE, voice_bucket=WEB_BUCKET, cache=cache_settings())


@pytest.fixture(scope="session")
async def web_server(web_bus: PrivateBus, web_hub: HubClient) -> AsyncIterator[RunningAdapter]:
    settings = adapter_settings(subject_prefix=web_bus.prefix)
    async with running_adapter(settings, web_hub) as running:
        yield running


@pytest.fixture(scope="session")
async def keyed_server(web_bus: PrivateBus, web_hub: HubClient) -> AsyncIterator[RunningAdapter]:
    """The same hub behind an adapter that wants an API key."""
    settings = adapter_settings(subject_prefix=web_bus.prefix, api_keys=[API_KEY])
    async with running_adapter(settings, web_hub) as running:
        yield running


@dataclass
class WatchedPage:
    """A page, what it tried to fetch from outside, and what went wrong in it."""

    page: Page
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def screenshot(self, name: str, selector: str | None = None) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        if selector is None:
            await self.page.screenshot(path=str(path), full_page=True)
        else:
            await self.page.locator(selector).screenshot(path=str(path))
        return path

    def problems(self, allowed: tuple[str, ...] = ()) -> list[str]:
        """Console errors and page exceptions, but those containing an ``allowed`` text."""
        return [error for error in self.errors if not any(text in error for text in allowed)]


async def _block_outside(route: Route, watched: WatchedPage) -> None:
    host = urlsplit(route.request.url).hostname or ""
    if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
        await route.continue_()
        return
    watched.outside.append(route.request.url)
    await route.abort()


@pytest.fixture
async def watched(browser: Browser) -> AsyncIterator[WatchedPage]:
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    watched = WatchedPage(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"exception: {error}"))
    await context.route("**/*", lambda route: _block_outside(route, watched))
    yield watched
    await context.close()
