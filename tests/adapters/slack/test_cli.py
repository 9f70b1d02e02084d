"""The adapter as users run it: ``voicebus adapter slack`` alone, and in ``voicebus up``
where a rejected token fails the Slack adapter only."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2 as httpx
import pytest

from hub.process.natsserver import NatsServer
from tests.adapters.slack.mock_slack import BOT_TOKEN, MockSlack
from tests.adapters.slack.support import SIGNING_SECRET, command_body, headers_for
from tests.conftest import DEFAULT_VOICE, EngineProcess
from tests.helpers import free_port


def slack_env(mock: MockSlack, token: str, port: int) -> dict[str, str]:
    return {
        **os.environ, "VOICEBUS_CONFIG": "", "VOICEBUS_SLACK_BOT_TOKEN": token,
        "VOICEBUS_SLACK_SIGNING_SECRET": SIGNING_SECRET, "VOICEBUS_SLACK_API_URL": mock.api_url,
        "VOICEBUS_SLACK_PORT": str(port), "VOICEBUS_SLACK_VOICE_BUCKET": f"cli-{port}",
    }  # fmt: skip


@pytest.fixture
async def started(tmp_path: Path) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    processes: list[asyncio.subprocess.Process] = []
    yield processes
    for process in processes:
        if process.returncode is None:
            process.send_signal(2)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()


async def voicebus(env: dict[str, str], log: Path, *args: str) -> asyncio.subprocess.Process:
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub.cli", *args, env=env, stdout=out, stderr=out
        )


async def signed_voices(port: int, mock: MockSlack, timeout: float = 30) -> httpx.Response:
    body = command_body("/voices", "", mock)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers_for(body)}
    async with httpx.AsyncClient(timeout=5) as http, asyncio.timeout(timeout):
        while True:
            try:
                return await http.post(f"http://127.0.0.1:{port}/slack/events",
                                       content=body, headers=headers)  # fmt: skip
            except httpx.TransportError:
                await asyncio.sleep(0.2)


async def test_the_adapter_runs_alone(
    nats_server: NatsServer, piper_engine: EngineProcess, slack_api: MockSlack,
    started: list, tmp_path: Path,
):  # fmt: skip
    port = free_port()
    env = {**slack_env(slack_api, BOT_TOKEN, port), "VOICEBUS_NATS_URL": nats_server.url}
    started.append(await voicebus(env, tmp_path / "adapter.log", "adapter", "slack"))
    answer = await signed_voices(port, slack_api)
    assert answer.status_code == 200 and f"`{DEFAULT_VOICE}`" in answer.json()["text"]
    log = (tmp_path / "adapter.log").read_text()
    assert BOT_TOKEN not in log and SIGNING_SECRET not in log


async def status(env: dict[str, str], nats_url: str) -> dict[str, dict]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "status", "--json", "--nats-url", nats_url,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await process.communicate()
    try:
        return {a["adapter"]: a for a in json.loads(out)["adapters"]}
    except (ValueError, KeyError):
        return {}


async def test_a_rejected_token_fails_only_the_slack_adapter_in_up(
    slack_api: MockSlack, started: list, tmp_path: Path
):
    nats_port, openai_port = free_port(), free_port()
    env = slack_env(slack_api, "xoxb-revoked-secret", free_port())
    started.append(await voicebus(
        env, tmp_path / "up.log", "up", "--nats-port", str(nats_port), "--data-dir",
        str(tmp_path / "data"), "--workers", "1", "--adapter", "slack", "--adapter", "openai",
        "--set", f"openai.port={openai_port}",
    ))  # fmt: skip
    nats_url, adapters = f"nats://127.0.0.1:{nats_port}", {}
    async with asyncio.timeout(60):
        while adapters.get("slack", {}).get("restarts", 0) < 2:
            await asyncio.sleep(0.5)
            adapters = await status(env, nats_url)
    assert adapters["slack"]["state"] == "failed"
    assert "Slack rejected the bot token (invalid_auth)" in adapters["slack"]["error"]
    assert adapters["openai"]["state"] == "running"
    async with httpx.AsyncClient(timeout=10) as http:
        health = await http.get(f"http://127.0.0.1:{openai_port}/health")
    assert health.status_code == 200
    log = (tmp_path / "up.log").read_text()
    assert "xoxb-revoked-secret" not in log and "Traceback" not in log
