"""What every adapter's server does for itself: the HTTP guards (adapters/http_guard.py) on
every HTTP adapter, not only the OpenAI one, and a taken port said in one line that names
the process holding it."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from adapters.asgi_server import AsgiServer
from adapters.http_guard import HttpLimits
from adapters.wyoming.server import WyomingAdapter
from adapters.wyoming.settings import WyomingSettings
from hub.client import HubClient
from hub.process.ports import PortTakenError
from tests.adapters.openai.test_http_guard import exchange
from tests.adapters.twilio.support import running_adapter, twilio_settings


async def test_a_half_sent_request_to_the_twilio_adapter_gets_408_json(hub: HubClient) -> None:
    async with running_adapter(twilio_settings(), hub) as adapter:
        half = b"POST /twilio/voice HTTP/1.1\r\nHost: x\r\nX-Twilio-Sig"
        status, body, took = await exchange(adapter.port, half, wait=30)
        assert status == 408 and body["error"]["code"] == "request_timeout", body
        assert HttpLimits().header_timeout <= took < HttpLimits().header_timeout + 3


@pytest.fixture
async def echo_server() -> AsyncIterator[AsgiServer]:
    """A small app behind AsgiServer with short deadlines."""

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"length": len(await request.body())})

    async def talk(socket: WebSocket) -> None:
        await socket.accept()
        async for text in socket.iter_text():
            await socket.send_text(text.upper())

    routes = [Route("/echo", echo, methods=["POST"]), WebSocketRoute("/talk", talk)]
    app = Starlette(routes=routes)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    server = AsgiServer(config, "echo server", HttpLimits(header_timeout=5, body_timeout=0.5))
    stop = asyncio.Event()
    task = asyncio.create_task(server.serve(stop))
    await asyncio.wait_for(server.started.wait(), 10)
    yield server
    stop.set()
    await asyncio.wait_for(task, 10)


def post(length: int, body: bytes) -> bytes:
    head = f"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {length}"
    return head.encode() + b"\r\n\r\n" + body


async def test_a_body_that_stops_arriving_gets_408_json(echo_server: AsgiServer) -> None:
    status, body, took = await exchange(echo_server.port, post(900_000, b"x" * 1000))
    assert status == 408 and body["error"]["code"] == "request_timeout", body
    assert "stopped arriving" in body["error"]["message"] and took < 3
    status, body, _ = await exchange(echo_server.port, post(5, b"hello"))  # still serving
    assert (status, body) == (200, {"length": 5})


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port this test process listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


async def test_a_websocket_outlives_the_body_deadline(echo_server: AsgiServer) -> None:
    """An upgraded connection is no longer HTTP: the guard's deadlines end with the upgrade
    (uvicorn leaves h11 waiting for the upgrade request's end, which once made the guard
    write a 408 into a live Twilio media stream after 30 s)."""
    url = f"ws://127.0.0.1:{echo_server.port}/talk"
    async with websockets.connect(url) as socket:
        for word in ("hello", "still", "there"):
            await asyncio.sleep(0.4)  # 1.2 s in all, past the 0.5 s body deadline
            await socket.send(word)
            assert await asyncio.wait_for(socket.recv(), 5) == word.upper()


async def test_a_taken_http_port_names_its_holder(held_port: int) -> None:
    config = uvicorn.Config(Starlette(), host="127.0.0.1", port=held_port, log_config=None)
    with pytest.raises(PortTakenError) as taken:
        await AsgiServer(config, "Slack adapter").serve(asyncio.Event())
    assert str(taken.value).startswith(
        f"the Slack adapter port {held_port} is already taken by pid {os.getpid()} ("
    ), taken.value


async def test_a_taken_wyoming_port_names_its_holder(hub: HubClient, held_port: int) -> None:
    adapter = WyomingAdapter(WyomingSettings(host="127.0.0.1", port=held_port), hub)
    with pytest.raises(PortTakenError) as taken:
        await adapter.serve(asyncio.Event())
    assert str(taken.value).startswith(
        f"the Wyoming port {held_port} is already taken by pid {os.getpid()} ("
    ), taken.value
    assert str(taken.value).endswith("stop it, or set another port (VOICEBUS_WYOMING_PORT)")
