"""Errors that say what happened, the same over REST, SSE and Wyoming: an unexpected
failure inside a synthesis call shows no exception text to clients, and a lost message bus
is ``engine_unavailable`` "the message bus is unreachable", whether discovery still lists
the workers (a short outage) or has dropped them (a long one)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.tts import Synthesize

from adapters.wyoming.server import WyomingAdapter
from adapters.wyoming.settings import WyomingSettings
from hub.client import HubClient
from hub.client.conversion import StreamConversion
from hub.contract.schemas import SynthesisRequest
from hub.process.natsserver import NatsServer
from tests.adapters.openai.support import RunningAdapter, adapter_settings, running_adapter
from tests.conftest import DEFAULT_VOICE, EngineProcess, client_settings
from tests.helpers import story

SECRET = "UnicodeEncodeError: 'utf-8' codec can't encode SECRET-7f3a"
BUS_DOWN = "the message bus is unreachable"


@contextlib.asynccontextmanager
async def both_adapters(hub: HubClient) -> AsyncIterator[tuple[RunningAdapter, WyomingAdapter]]:
    async with (
        running_adapter(adapter_settings(), hub) as rest,
        WyomingAdapter(WyomingSettings(host="127.0.0.1", port=0), hub) as wyoming,
    ):
        yield rest, wyoming


async def rest_answer(rest: RunningAdapter, text: str, **fields: Any) -> httpx2.Response:
    body = {"model": "tts-1", "voice": DEFAULT_VOICE, "input": text, **fields}
    async with rest.http() as http:
        return await http.post("/v1/audio/speech", json=body)


async def wyoming_error(wyoming: WyomingAdapter, text: str) -> Error:
    client = AsyncTcpClient("127.0.0.1", wyoming.port, connect_timeout=5, read_timeout=30)
    async with client:
        await client.write_event(Synthesize(text=text).event())
        while (event := await client.read_event()) is not None:
            if Error.is_type(event.type):
                return Error.from_event(event)
    raise AssertionError("the connection closed without an error event")


def assert_error(response: httpx2.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


# ---- an unexpected failure -----------------------------------------------------------------


async def test_an_unexpected_failure_shows_no_exception_text(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The request cannot be serialised to the bus (as a lone surrogate once could not):
    every client gets a generic ``internal`` error; the detail is in the log only."""

    def broken(self: SynthesisRequest, **_: Any) -> str:
        raise ValueError(f"Error serializing to JSON: {SECRET}")

    async with both_adapters(hub) as (rest, wyoming):
        monkeypatch.setattr(SynthesisRequest, "model_dump_json", broken)
        raw = await rest_answer(rest, "An unexpected failure, raw.")
        sse = await rest_answer(rest, "An unexpected failure, streamed.", stream_format="sse")
        event = await wyoming_error(wyoming, "An unexpected failure over Wyoming.")
        monkeypatch.undo()
        for response in (raw, sse):
            error = assert_error(response, 500, "internal")
            assert "SECRET" not in response.text and "Error" not in error["message"], error
        assert event.code == "internal" and "SECRET" not in (event.text or ""), event
        assert "Error" not in (event.text or ""), event
        assert SECRET in caplog.text  # said where an operator looks
        # Nothing is left broken: the next request is spoken.
        good = await rest_answer(rest, "Working again.", response_format="pcm")
        assert good.status_code == 200 and len(good.content) > 22_050  # over half a second


async def test_a_stream_that_fails_midway_ends_with_a_generic_error_event(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first audio, an unexpected failure (here the stream's audio conversion)
    ends the SSE stream with an ``error`` event that carries no exception text."""
    convert = StreamConversion.convert
    calls = 0

    async def failing(self: StreamConversion, pcm: bytes, rate: int) -> list[bytes]:
        nonlocal calls
        calls += 1
        if calls > 3:
            raise ValueError(SECRET)
        return await convert(self, pcm, rate)

    async with both_adapters(hub) as (rest, _):
        monkeypatch.setattr(StreamConversion, "convert", failing)
        response = await rest_answer(rest, story(3), stream_format="sse")
        monkeypatch.undo()
    assert response.status_code == 200
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line]
    assert events[0]["type"] == "speech.audio.delta"
    assert events[-1]["type"] == "error", events[-1]
    assert events[-1]["error"]["code"] == "internal" and "SECRET" not in response.text


# ---- a lost bus ----------------------------------------------------------------------------


@pytest.fixture
async def lonely_hub(tmp_path: Path) -> AsyncIterator[tuple[NatsServer, HubClient]]:
    """A nats-server of this test's own with one Piper worker, and a client on it."""
    server = NatsServer(tmp_path / "nats", port=-1, jetstream=False)
    server.start()
    engine = EngineProcess(server.url, log_dir=tmp_path, VOICEBUS_HEARTBEAT_SECONDS="2")
    engine.start()
    settings = client_settings(server.url, discovery_wait=0.5, start_timeout=2.0)
    try:
        engine.instance()
        hub = await HubClient.connect(settings, "test-lost-bus")
        try:
            await hub.wait_for_voice(DEFAULT_VOICE)
            yield server, hub
        finally:
            await hub.close()  # also while it reconnects to a server that is gone for good
    finally:
        engine.stop()
        server.stop()


async def assert_bus_down_everywhere(rest: RunningAdapter, wyoming: WyomingAdapter) -> None:
    for fields in ({}, {"stream_format": "sse"}):
        response = await rest_answer(rest, "Is anyone there?", **fields)
        error = assert_error(response, 503, "engine_unavailable")
        assert BUS_DOWN in error["message"].lower(), (fields, error)
        assert "worker" not in error["message"].lower(), (fields, error)
        assert response.headers.get("retry-after")
    event = await wyoming_error(wyoming, "Is anyone there?")
    assert event.code == "engine_unavailable" and BUS_DOWN in (event.text or ""), event


async def test_a_lost_bus_is_said_as_such(lonely_hub: tuple[NatsServer, HubClient]) -> None:
    server, hub = lonely_hub
    async with both_adapters(hub) as (rest, wyoming):
        assert (await rest_answer(rest, "Before the outage.")).status_code == 200
        server.stop()  # and not restarted
        deadline = time.monotonic() + 10
        while hub.connected:
            assert time.monotonic() < deadline, "the client did not notice the lost bus"
            await asyncio.sleep(0.05)
        assert hub.voices()  # a short outage: discovery still lists the worker
        await assert_bus_down_everywhere(rest, wyoming)
        deadline = time.monotonic() + 10
        while hub.voices():
            assert time.monotonic() < deadline, "discovery kept a worker it cannot hear"
            await asyncio.sleep(0.1)
        await assert_bus_down_everywhere(rest, wyoming)  # a long one: no worker is listed
