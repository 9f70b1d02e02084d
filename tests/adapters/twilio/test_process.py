"""The adapter as a process: alone (``voicebus adapter twilio``) and supervised in
``voicebus up``, where failing to start fails only itself and is retried."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx2
from twilio.request_validator import RequestValidator

from hub.process.natsserver import NatsServer
from tests.adapters.twilio.support import AUTH_TOKEN, PUBLIC_URL, FakeTwilio
from tests.conftest import EngineProcess
from tests.helpers import free_port

FORM = {"CallSid": "CA" + "7" * 32, "From": "+15550001111"}


def twilio_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "VOICEBUS_CONFIG": "",
        "VOICEBUS_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "VOICEBUS_TWILIO_PUBLIC_URL": PUBLIC_URL,
        "VOICEBUS_TWILIO_GREETING": "Good morning.",
        **extra,
    }


def wait_http(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(log.read_text())


async def a_call(port: int) -> FakeTwilio:
    """Ring the adapter on ``port`` as Twilio would: the signed webhook, then the stream
    with the token from its TwiML, until the greeting's mark comes back."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{PUBLIC_URL}/twilio/voice", FORM)
    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        answer = await client.post(
            "/twilio/voice", data=FORM, headers={"X-Twilio-Signature": signature}
        )
    assert answer.status_code == 200, answer.text
    token = re.search(r'name="token" value="([^"]+)"', answer.text)
    assert token is not None
    async with FakeTwilio(port) as twilio:
        await twilio.start({"token": token.group(1)})
        await twilio.wait_marks_heard(1, timeout=60)
    return twilio


async def test_runs_alone(
    nats_server: NatsServer, piper_engine: EngineProcess, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "twilio.log"
    command = [sys.executable, "-m", "hub.cli", "adapter", "twilio", "--port", str(port)]
    env = twilio_env(VOICEBUS_NATS_URL=nats_server.url)
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(port, process, log)
        twilio = await a_call(port)
        assert twilio.frames() and all(len(frame) == 160 for frame in twilio.frames())
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    assert AUTH_TOKEN not in log.read_text()
    # Without an auth token it refuses to start, in one clear line, and is retried.
    env.pop("VOICEBUS_TWILIO_AUTH_TOKEN")
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "retrying in" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    text = log.read_text()
    assert "adapter twilio failed: ValueError: twilio.auth_token is not set" in text
    assert "Traceback" not in text


async def test_in_up_a_failure_is_its_own_and_retried(tmp_path: Path) -> None:
    port, http_port, nats_port = free_port(), free_port(), free_port()
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", port))
    blocker.listen()  # the twilio port is taken: the adapter cannot start
    command = [
        sys.executable, "-m", "hub.cli", "up", "--nats-port", str(nats_port),
        "--data-dir", str(tmp_path / "data"), "--workers", "1", "--threads", "1",
        "--adapter", "twilio", "--adapter", "openai",
        "--set", f"twilio.port={port}", "--set", f"openai.port={http_port}",
    ]  # fmt: skip
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=twilio_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(http_port, process, log)
        deadline = time.monotonic() + 30
        while "adapter twilio failed" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert "adapter twilio failed" in log.read_text(), log.read_text()
        url = f"http://127.0.0.1:{http_port}/health"
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert json.loads(answer.read())["status"] == "ok"  # openai serves on
        blocker.close()  # the port is free again: the next retry starts it
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if "Twilio adapter listening" in log.read_text():
                break
            time.sleep(0.3)
        twilio = await a_call(port)
        assert len(twilio.events("mark")) == 1
    finally:
        blocker.close()
        process.send_signal(signal.SIGINT)
        process.wait(30)
    assert AUTH_TOKEN not in log.read_text()
