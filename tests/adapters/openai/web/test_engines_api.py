"""``/v1/engines``: the workers and their control, over HTTP against a real Piper worker."""

from __future__ import annotations

from adapters.openai.engines_routes import _reason
from hub.contract.schemas import ErrorCode, StreamError
from tests.adapters.openai.support import RunningAdapter


async def test_lists_every_worker(web_server: RunningAdapter) -> None:
    async with web_server.http() as http:
        listed = (await http.get("/v1/engines")).json()
    [worker] = listed["data"]
    assert worker["engine"] == "piper" and worker["device"] == "cpu"
    assert worker["state"] == "warm" and worker["voices"] >= 1 and not worker["paused"]
    assert set(worker["load"]) == {"in_flight", "queued", "max_queue"}
    assert set(worker["counters"]) == {"served", "failed", "cancelled"}


async def test_keep_warm_turns_on_and_off(web_server: RunningAdapter) -> None:
    async with web_server.http() as http:
        on = await http.post("/v1/engines/piper/keep-warm", json={"on": True})
        off = await http.post("/v1/engines/piper/keep-warm", json={"on": False})
    assert on.status_code == 200 and [w["keep_warm"] for w in on.json()["data"]] == [True]
    assert off.status_code == 200 and [w["keep_warm"] for w in off.json()["data"]] == [False]


async def test_unload_then_load(web_server: RunningAdapter) -> None:
    async with web_server.http() as http:
        try:
            unloaded = await http.post("/v1/engines/piper/unload")
            assert unloaded.status_code == 200, unloaded.text
            [worker] = unloaded.json()["data"]
            assert worker["state"] == "unloaded" and worker["paused"]
            refused = await http.post(
                "/v1/audio/speech", json={"model": "piper", "input": "Hello.", "voice": "alloy"}
            )
            assert refused.status_code == 503 and "unloaded" in refused.json()["error"]["message"]
        finally:
            loaded = await http.post("/v1/engines/piper/load")
    assert loaded.status_code == 200
    assert [w["state"] for w in loaded.json()["data"]] == ["warm"]


async def test_gpu_pause_leaves_cpu_engines_alone(web_server: RunningAdapter) -> None:
    async with web_server.http() as http:
        paused = await http.post("/v1/engines/pause-gpu")
        resumed = await http.post("/v1/engines/resume-gpu")
        listed = (await http.get("/v1/engines")).json()
    assert paused.json() == {"object": "list", "engines": [], "data": []}
    assert resumed.json()["engines"] == []
    assert [w["state"] for w in listed["data"]] == ["warm"]


async def test_bad_engine_requests_get_openai_errors(web_server: RunningAdapter) -> None:
    async with web_server.http() as http:
        unknown = await http.post("/v1/engines/nobody/load")
        wildcard = await http.post("/v1/engines/>/unload")
        no_body = await http.post("/v1/engines/piper/keep-warm")
        wrong = await http.post("/v1/engines/piper/keep-warm", json={"on": "maybe"})
    assert unknown.status_code == 404
    error = unknown.json()["error"]
    assert error["code"] == "engine_not_found" and "Running engines: piper" in error["message"]
    assert wildcard.status_code == 404  # never sent to a control subject as a wildcard
    assert no_body.status_code == 400 and no_body.json()["error"]["code"]
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "on"


async def test_engines_need_the_key_when_keys_are_on(keyed_server: RunningAdapter) -> None:
    async with keyed_server.http() as http:
        anonymous = await http.get("/v1/engines")
        control = await http.post("/v1/engines/piper/unload")
        keyed = await http.get("/v1/engines", headers={"Authorization": "Bearer web-test-key"})
    assert anonymous.status_code == 401 and control.status_code == 401
    assert keyed.status_code == 200 and keyed.json()["data"]


def test_a_workers_internal_error_text_stays_in_its_log() -> None:
    internal = StreamError(request_id="", code=ErrorCode.INTERNAL, message="at /srv/model.py:12")
    refused = StreamError(request_id="", code=ErrorCode.INVALID_REQUEST, message="keep_warm?")
    assert "/srv" not in _reason(internal) and "internal error" in _reason(internal)
    assert _reason(refused) == "keep_warm? (invalid_request)"
