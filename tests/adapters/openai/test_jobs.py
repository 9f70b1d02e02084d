"""``/v1/audio/jobs`` against the real adapter, bus and Piper: submit, status, progress
events, content (Whisper checks the words), list, bad input in OpenAI's error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from hub.audio import decode_to_pcm
from hub.client import HubClient
from tests.adapters.openai.jobs_support import finished, job_settings, jobs_adapter, submit
from tests.adapters.openai.support import RunningAdapter
from tests.helpers import STORY, assert_is_speech, transcribe, word_error_rate


@pytest.fixture(scope="module")
async def server(hub: HubClient) -> AsyncIterator[RunningAdapter]:
    async with jobs_adapter(hub, job_settings()) as running:
        yield running


@pytest.fixture
async def http(server: RunningAdapter) -> AsyncIterator[httpx2.AsyncClient]:
    async with server.http() as client:
        yield client


async def test_a_job_reports_each_sentence_and_its_content_is_the_text(
    http: httpx2.AsyncClient, whisper: Any
) -> None:
    texts = [" ".join(STORY[:2]), STORY[2]]
    job = await submit(http, input=texts, response_format="pcm")
    assert job["status"] == "queued" and job["id"].startswith("job_")
    assert job["progress"] == {"done": 0, "total": 3}

    seen = await finished(http, job["id"])
    names = [name for name, _ in seen]
    assert names[-1] == "completed" and set(names[:-1]) == {"progress"}, names
    dones = [event["progress"]["done"] for name, event in seen if name == "progress"]
    assert dones == list(range(dones[0], 4)), dones  # where it was, then one per sentence
    assert seen[-1][1]["progress"] == {"done": 3, "total": 3}

    status = (await http.get(f"/v1/audio/jobs/{job['id']}")).json()
    assert status["status"] == "completed" and status["progress"] == {"done": 3, "total": 3}
    assert status["voice"] == "alloy" and status["response_format"] == "pcm"
    assert status["error"] is None

    content = await http.get(f"/v1/audio/jobs/{job['id']}/content")
    assert content.status_code == 200 and content.headers["content-type"] == "audio/pcm"
    text = " ".join(texts)
    assert_is_speech(content.content, 24000, text)
    assert word_error_rate(text, transcribe(whisper, content.content, 24000)) <= 0.15

    listed = (await http.get("/v1/audio/jobs")).json()
    assert listed["object"] == "list"
    assert job["id"] in [item["id"] for item in listed["data"]]


async def test_content_comes_in_the_format_asked_for(http: httpx2.AsyncClient) -> None:
    job = await submit(http, input=STORY[3], response_format="mp3")
    assert (await finished(http, job["id"]))[-1][0] == "completed"
    content = await http.get(f"/v1/audio/jobs/{job['id']}/content")
    assert content.headers["content-type"] == "audio/mpeg"
    pcm, rate, channels = decode_to_pcm(content.content, "mp3")
    assert channels == 1
    assert_is_speech(pcm, rate, STORY[3])


def _error(answer: httpx2.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    if code is not None:
        assert error["code"] == code, error
    assert "Traceback" not in error["message"]
    return error


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": ""}, "input"),
        ({"input": []}, "input"),
        ({"input": ["...", "  "]}, "input"),
        ({"input": "word " * 700}, "input"),  # 3500 characters, over the limit of 3000
        ({"input": "Hello.", "voice": "nobody-at-all"}, "voice"),
        ({"input": "Hello.", "response_format": "ogg"}, "response_format"),
        ({"input": "Hello.", "speed": 9}, "speed"),
        ({"input": "Hello.", "webhook_url": "ftp://example.com/x"}, "webhook_url"),
        ({"input": 42}, "input"),
        ({"input": ["Fine.", 5]}, "input"),
        ({"input": "Hello.", "speaker": "nobody"}, "voice"),
    ],
)
async def test_bad_input_is_an_openai_error(
    http: httpx2.AsyncClient, body: dict[str, Any], param: str
) -> None:
    answer = await http.post("/v1/audio/jobs", json={"model": "tts-1", "voice": "alloy", **body})
    assert _error(answer, 400)["param"] == param


async def test_unknown_jobs_and_unready_content_are_clear(http: httpx2.AsyncClient) -> None:
    for method, path in [
        ("GET", "/v1/audio/jobs/job_nope"),
        ("GET", "/v1/audio/jobs/job_nope/content"),
        ("GET", "/v1/audio/jobs/job_nope/events"),
        ("DELETE", "/v1/audio/jobs/job_nope"),
        ("GET", "/v1/audio/jobs/not a key"),
    ]:
        _error(await http.request(method, path), 404, "job_not_found")
    job = await submit(http, input=" ".join(STORY[:4]), response_format="pcm")
    early = await http.get(f"/v1/audio/jobs/{job['id']}/content")
    if early.status_code != 200:  # it may be done already on a fast machine
        _error(early, 409, "job_not_completed")
    assert (await finished(http, job["id"]))[-1][0] == "completed"
    _error(await http.delete(f"/v1/audio/jobs/{job['id']}"), 409, "job_finished")
