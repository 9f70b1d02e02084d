"""Start-up: the voice libraries, DAVE errors, and a bot that cannot log in failing alone."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from typing import Any

from adapters.discord.settings import DiscordSettings
from adapters.discord.voice import DAVE_REQUIRED, explain_close, voice_support
from hub import plugins
from hub.client import HubClient
from hub.contract.schemas import AdapterState
from hub.process.adapters import AdapterSupervisor, Backoff, SupervisedAdapter
from tests.helpers import free_port


def test_voice_libraries_load() -> None:
    assert voice_support() is None, voice_support()


def test_a_4017_close_is_explained(caplog: Any) -> None:
    assert "end-to-end encryption" in explain_close(DAVE_REQUIRED)
    assert "4017" in caplog.text and "davey" in caplog.text
    assert "code 4006" in explain_close(4006)


def test_the_plugin_is_registered() -> None:
    plugin = plugins.adapter("discord")
    assert plugin.settings_class() is DiscordSettings


def test_adapter_command_without_a_token_says_so_and_keeps_retrying(nats_server: Any) -> None:
    env = {**os.environ, "VOICEBUS_NATS_URL": nats_server.url}
    env.pop("VOICEBUS_DISCORD_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "adapter", "discord"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        seen = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            seen.append(line)
            if "retrying" in line:
                break
        assert "no bot token: set VOICEBUS_DISCORD_TOKEN" in seen[-1], seen
        assert process.poll() is None, "it retries instead of exiting"
        assert not any("Traceback" in line for line in seen)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(15)


async def test_a_bot_that_cannot_log_in_fails_alone(hub: HubClient, discord_api: Any) -> None:
    discord = DiscordSettings(token="wrong", api_base=discord_api.url, kv_bucket="discord-up")
    wyoming_plugin = plugins.adapter("wyoming")
    port = free_port()
    wyoming = wyoming_plugin.settings_class()(host="127.0.0.1", port=port)  # type: ignore[call-arg]
    fast = Backoff(first=0.2, ceiling=0.5)
    supervised = [
        SupervisedAdapter(plugins.adapter("discord"), discord, hub, fast),
        SupervisedAdapter(wyoming_plugin, wyoming, hub, fast),
    ]
    stop = asyncio.Event()
    task = asyncio.create_task(AdapterSupervisor(hub, supervised).run(stop))
    try:
        for _ in range(100):
            if supervised[0].restarts >= 1:
                break
            await asyncio.sleep(0.05)
        bot, other = supervised[0].status(), supervised[1].status()
        assert bot.state in (AdapterState.FAILED, AdapterState.RUNNING) and bot.restarts >= 1
        assert bot.error is not None and "refused the bot token" in bot.error
        assert "wrong" not in bot.error
        assert other.state is AdapterState.RUNNING
        _, writer = await asyncio.open_connection("127.0.0.1", port)  # still serving
        writer.close()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
