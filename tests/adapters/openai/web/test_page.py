"""The web page in a real browser against the real adapter and a real Piper worker."""

from __future__ import annotations

import base64
from typing import Any

from playwright.async_api import Dialog, Page, expect

from hub.audio import decode_to_pcm, wav_bytes
from hub.client import HubClient
from tests.adapters.openai.support import RunningAdapter
from tests.adapters.openai.web.capture import BodyCapture
from tests.adapters.openai.web.conftest import API_KEY, WatchedPage
from tests.conftest import DEFAULT_VOICE
from tests.helpers import STORY, assert_is_speech, collect, story

SENTENCE = STORY[0]  # "The morning train left the station right on time."

_READ_DOWNLOAD = """async () => {
  const blob = await (await fetch(document.getElementById("download").href)).blob();
  return await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result.split(",", 2)[1]);
    reader.readAsDataURL(blob);
  });
}"""


async def _open(watched: WatchedPage, server: RunningAdapter) -> Page:
    """The page, once its voice picker lists the Piper voice."""
    await watched.page.goto(server.url + "/")
    voice = watched.page.locator(f'#voice option[data-voice="{DEFAULT_VOICE}"]')
    await expect(voice).to_have_count(1)
    return watched.page


async def _downloadable(page: Page) -> bytes:
    """The bytes behind the page's download link: the audio it received and played."""
    return base64.b64decode(await page.evaluate(_READ_DOWNLOAD))


async def test_voice_list_fills_from_discovery(
    watched: WatchedPage, web_server: RunningAdapter
) -> None:
    page = await _open(watched, web_server)
    option = page.locator(f'#voice option[data-voice="{DEFAULT_VOICE}"]')
    group = page.locator("#voice optgroup", has=page.locator(f'[data-voice="{DEFAULT_VOICE}"]'))
    await expect(group).to_have_attribute("label", "piper · en_US")
    await expect(option).to_have_attribute("data-model", "piper")
    await watched.screenshot("page")
    assert watched.problems() == [] and watched.outside == []


async def test_speak_plays_speech_of_the_text(
    watched: WatchedPage, web_server: RunningAdapter, whisper: Any
) -> None:
    page = await _open(watched, web_server)
    await page.get_by_label("Text").fill(SENTENCE)
    await expect(page.locator("#text-count")).to_have_text(f"{len(SENTENCE)} characters")
    await page.get_by_label("Voice", exact=True).select_option(f"piper/{DEFAULT_VOICE}")
    capture = await BodyCapture.start(page, "/v1/audio/speech")
    async with page.expect_response(lambda r: r.url.endswith("/v1/audio/speech")) as answer:
        await page.get_by_role("button", name="Speak").click()
    response = await answer.value
    assert response.status == 200 and response.headers["content-type"] == "audio/mpeg"

    await page.wait_for_function("() => document.getElementById('player').currentTime > 0.3")
    await expect(page.locator("#speak-status")).to_contain_text("Done")
    await expect(page.locator("#download")).to_have_attribute("download", "speech.mp3")
    fetched = await capture.body()
    assert fetched == await _downloadable(page)  # what it plays and offers is what came
    pcm, rate, _ = decode_to_pcm(fetched, "mp3")
    assert_is_speech(pcm, rate, SENTENCE, whisper)
    await watched.screenshot("speak", "#speak")
    assert watched.problems() == [] and watched.outside == []


async def test_wav_and_pcm_play_once_complete(
    watched: WatchedPage, web_server: RunningAdapter
) -> None:
    page = await _open(watched, web_server)
    await page.get_by_label("Text").fill(SENTENCE)
    for fmt in ("wav", "pcm"):
        await page.get_by_label("Format").select_option(fmt)
        await page.get_by_role("button", name="Speak").click()
        await expect(page.locator("#download")).to_have_attribute("download", f"speech.{fmt}")
        await page.wait_for_function("() => document.getElementById('player').currentTime > 0.3")
        audio = await _downloadable(page)
        assert (audio[:4] == b"RIFF") == (fmt == "wav")  # pcm downloads raw, as it came
    seconds = await page.evaluate("document.getElementById('player').duration")
    assert abs(seconds - len(audio) / 48000) < 0.05  # 24 kHz 16-bit mono, wrapped to play
    assert watched.problems() == [] and watched.outside == []


async def test_stop_ends_a_long_speech(watched: WatchedPage, web_server: RunningAdapter) -> None:
    page = await _open(watched, web_server)
    await page.get_by_label("Text").fill(story(40))
    await page.get_by_role("button", name="Speak").click()
    await page.wait_for_function("() => document.getElementById('player').currentTime > 0")
    await page.get_by_role("button", name="Stop").click()
    await expect(page.locator("#speak-status")).to_have_text("Stopped.")
    await expect(page.locator("#speak-error")).to_be_empty()
    await expect(page.get_by_role("button", name="Speak")).to_be_enabled()
    assert await page.evaluate("document.getElementById('player').paused")
    assert watched.problems() == [] and watched.outside == []


async def test_bad_request_shows_the_error_in_words(
    watched: WatchedPage, web_server: RunningAdapter
) -> None:
    page = await _open(watched, web_server)
    await page.get_by_label("Text").fill("?!? ...")
    await page.get_by_role("button", name="Speak").click()
    await expect(page.locator("#speak-error")).to_have_text("Input has no words to speak.")
    await expect(page.get_by_role("button", name="Speak")).to_be_enabled()
    await watched.screenshot("speak-error", "#speak")
    assert watched.problems(allowed=("status of 400",)) == []


async def test_uploading_a_clip_adds_a_voice(
    watched: WatchedPage, web_server: RunningAdapter, web_hub: HubClient
) -> None:
    stream = await web_hub.open(story(2), DEFAULT_VOICE)
    clip = wav_bytes(await collect(stream), stream.sample_rate)
    page = await _open(watched, web_server)
    await page.get_by_label("Name").fill("web-clip")
    await page.get_by_label("Reference clip").set_input_files(
        files=[{"name": "me.wav", "mimeType": "audio/wav", "buffer": clip}]
    )
    await page.get_by_role("button", name="Add the voice").click()
    row = page.locator('#clone-list tr[data-voice="web-clip"]')
    await expect(row).to_contain_text("no cloning engine is running")
    await expect(page.locator("#library-status")).to_contain_text("Added web-clip")
    cloned = page.locator('#voice optgroup[label^="Cloned"] option[data-voice="web-clip"]')
    await expect(cloned).to_have_count(1)

    await row.get_by_role("button", name="Play web-clip").click()
    preview = row.get_by_label("Reference clip of web-clip")
    await expect(preview).to_have_count(1)
    await page.wait_for_function(
        "() => document.querySelector('#clone-list audio').duration > 3"
    )  # the stored clip is playable: 3 s or more of audio
    await watched.screenshot("library", "#library")

    async def answer(dialog: Dialog) -> None:
        await dialog.accept("web-clip-2" if dialog.type == "prompt" else "")

    page.on("dialog", answer)
    await row.get_by_role("button", name="Rename web-clip").click()
    renamed = page.locator('#clone-list tr[data-voice="web-clip-2"]')
    await expect(renamed).to_have_count(1)
    await renamed.get_by_role("button", name="Delete web-clip-2").click()
    await expect(page.locator("#clone-list")).to_contain_text("No cloned voice yet.")
    await expect(page.locator('#voice option[data-voice^="web-clip"]')).to_have_count(0)
    assert watched.problems() == [] and watched.outside == []


async def test_recording_a_clip_adds_a_voice(
    watched: WatchedPage, web_server: RunningAdapter, web_hub: HubClient
) -> None:
    page = await _open(watched, web_server)
    await page.get_by_role("button", name="Record a clip").click()
    stop = page.get_by_role("button", name="Stop recording")
    await expect(stop).to_have_attribute("aria-pressed", "true")
    await page.wait_for_function(
        "() => parseFloat(document.getElementById('record-time').textContent.split(': ')[1]) >= 4"
    )  # the library wants 3 s at least
    await stop.click()
    await expect(page.locator("#clone-preview")).to_be_visible()
    await expect(page.locator("#library-status")).to_contain_text("Recorded")
    await page.get_by_label("Name").fill("web-recorded")
    await page.get_by_role("button", name="Add the voice").click()
    try:
        await expect(page.locator("#library-status")).to_contain_text("Added web-recorded")
        meta = await (await web_hub.library()).get_meta("web-recorded")
        assert meta.duration_seconds >= 3.5
        await watched.screenshot("library-recorded", "#library")
    finally:
        async with web_server.http() as http:
            await http.delete("/v1/voices/web-recorded")
    assert watched.problems() == [] and watched.outside == []


async def test_unloading_an_engine_shows_it_unloaded(
    watched: WatchedPage, web_server: RunningAdapter
) -> None:
    page = await _open(watched, web_server)
    state = page.locator('.engine[data-engine="piper"] td.state')
    await expect(state).to_have_text("warm")
    await expect(page.locator('.engine[data-engine="piper"]')).to_contain_text("cpu")
    try:
        await page.get_by_role("button", name="Unload piper").click()
        await expect(state).to_have_text("unloaded (paused)")
        await expect(page.locator("#voice")).to_be_disabled()  # its voices left routing
        await watched.screenshot("engines-unloaded", "#engines")
        await page.get_by_role("button", name="Load piper", exact=True).click()
        await expect(state).to_have_text("warm")
    finally:  # the next tests need the engine, whatever happened here
        async with web_server.http() as http:
            await http.post("/v1/engines/piper/load")
    await expect(page.locator(f'#voice option[data-voice="{DEFAULT_VOICE}"]')).to_have_count(1)
    await page.get_by_role("button", name="Pause GPU engines").click()
    await expect(page.locator("#engines-status")).to_have_text(
        "No engine runs on a GPU: nothing to do."
    )
    await expect(state).to_have_text("warm")  # a CPU engine keeps serving
    await watched.screenshot("engines", "#engines")
    assert watched.problems() == [] and watched.outside == []


async def test_the_page_asks_for_a_key_when_keys_are_on(
    watched: WatchedPage, keyed_server: RunningAdapter
) -> None:
    page = watched.page
    await page.goto(keyed_server.url + "/")
    dialog = page.get_by_role("dialog", name="API key")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("This hub asks for an API key.")
    await watched.screenshot("api-key", "body")
    await dialog.get_by_label("API key").fill("not-the-key")
    await dialog.get_by_role("button", name="Use this key").click()
    await expect(dialog).to_contain_text("The hub refused the key: Incorrect API key provided.")
    await dialog.get_by_label("API key").fill(API_KEY)
    await dialog.get_by_role("button", name="Use this key").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator(f'#voice option[data-voice="{DEFAULT_VOICE}"]')).to_have_count(1)
    await expect(page.locator('.engine[data-engine="piper"] td.state')).to_have_text("warm")
    assert await page.evaluate("sessionStorage.getItem('voicebus.apiKey')") == API_KEY

    await page.get_by_role("button", name="Forget the API key").click()
    assert await page.evaluate("sessionStorage.getItem('voicebus.apiKey')") is None
    await page.get_by_role("button", name="Speak").click()
    await expect(dialog).to_be_visible()  # asked again, and Escape gives up in words
    await page.keyboard.press("Escape")
    await expect(page.locator("#speak-error")).to_contain_text("You didn't provide an API key")
    await page.get_by_role("button", name="Enter an API key").click()
    await dialog.get_by_label("API key").fill(API_KEY)
    await dialog.get_by_role("button", name="Use this key").click()
    await expect(page.locator("#engines-error")).to_be_empty()  # refreshed with the key
    await expect(page.locator('.engine[data-engine="piper"] td.state')).to_have_text("warm")
    assert watched.problems(allowed=("status of 401",)) == []


async def test_dark_mode_and_keyboard_focus(
    watched: WatchedPage, web_server: RunningAdapter
) -> None:
    page = watched.page
    await page.emulate_media(color_scheme="dark")
    await _open(watched, web_server)
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 23, 26)"
    await page.keyboard.press("Tab")  # the skip link first
    await expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
    await page.keyboard.press("Tab")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    await watched.screenshot("page-dark")
    assert watched.problems() == [] and watched.outside == []


async def test_jobs_and_cache_panels_follow_the_api(
    watched: WatchedPage, web_server: RunningAdapter
) -> None:
    """Each optional panel shows when its routes exist (the jobs and cache parts of the
    hub), and stays hidden, with its link, when they do not."""
    async with web_server.http() as http:
        paths = set((await http.get("/openapi.json")).json()["paths"])
    page = await _open(watched, web_server)
    await page.locator("#engine-list .engine").first.wait_for()
    for part, path in (("jobs", "/v1/audio/jobs"), ("cache", "/v1/cache")):
        panel = page.locator(f"section#{part}")
        link = page.get_by_role("link", name=part.capitalize())
        if path in paths:
            await expect(panel).to_be_visible()
            await expect(link).to_be_visible()
        else:
            await expect(panel).to_be_hidden()
            await expect(link).to_have_count(0)  # hidden links are out of the a11y tree
    if "/v1/cache" in paths:
        await expect(page.locator("#cache-stats")).to_contain_text("Entries")
        await page.get_by_role("button", name="Clear the cache").click()
        await expect(page.locator("#cache-status")).to_contain_text("Deleted")
        await watched.screenshot("cache", "#cache")
    if "/v1/audio/jobs" in paths:
        await page.get_by_label("Text").fill(story(2))
        await page.get_by_role("button", name="Make it as a job").click()
        download = page.locator("#job-list button", has_text="Download job")
        await expect(download.first).to_be_visible(timeout=60_000)
        await watched.screenshot("jobs", "#jobs")
    assert watched.problems() == [] and watched.outside == []


_UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea, button")]
  .filter((control) => !control.closest("[hidden]"))
  .filter((control) => !(control.labels && control.labels.length)
    && !control.getAttribute("aria-label") && !control.textContent.trim())
  .map((control) => control.outerHTML)"""


async def test_every_control_is_labelled_and_speak_works_from_the_keyboard(
    watched: WatchedPage, web_server: RunningAdapter
) -> None:
    page = await _open(watched, web_server)
    await page.locator("#engine-list .engine").first.wait_for()
    assert await page.evaluate(_UNLABELLED) == []
    await page.get_by_label("Text").focus()
    await page.keyboard.type(" And from the keyboard.")
    for _ in range(4):  # find a voice, voice, speed, format
        await page.keyboard.press("Tab")
    await expect(page.get_by_label("Format")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Speak")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#speak-status")).to_contain_text("Done")

    load = page.get_by_role("button", name="Load piper", exact=True)
    await load.focus()
    served = page.locator('.engine[data-engine="piper"] tbody td').nth(7)
    before = await served.text_content()
    async with web_server.http() as http:
        speech = {"model": "piper", "input": "Count this one.", "voice": "alloy"}
        assert (await http.post("/v1/audio/speech", json=speech)).status_code == 200
    await expect(served).not_to_have_text(before or "")  # the live refresh redrew the table
    await expect(load).to_be_focused()  # and the keyboard focus stayed where it was
    assert watched.problems() == [] and watched.outside == []


async def test_a_bus_without_engines_is_explained(
    watched: WatchedPage, empty_bus_server: RunningAdapter
) -> None:
    page = watched.page
    await page.goto(empty_bus_server.url + "/")
    await expect(page.locator("#engine-list")).to_contain_text("No engine is running")
    await expect(page.locator("#voice")).to_be_disabled()
    await expect(page.locator("#voice")).to_contain_text("no voice is live")
    await page.get_by_role("button", name="Speak").click()
    await expect(page.locator("#speak-error")).to_contain_text("No voice is live")
    await watched.screenshot("no-engines")
    assert watched.problems() == [] and watched.outside == []


async def test_a_phone_sized_window_needs_no_sideways_scrolling(
    watched: WatchedPage, web_server: RunningAdapter
) -> None:
    page = watched.page
    await page.set_viewport_size({"width": 390, "height": 844})
    await _open(watched, web_server)
    await page.locator("#engine-list .engine").first.wait_for()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # wide tables scroll inside their own box
    await watched.screenshot("page-narrow")
    assert watched.problems() == [] and watched.outside == []
