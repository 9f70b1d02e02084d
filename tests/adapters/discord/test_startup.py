"""Start-up: the voice libraries, DAVE errors, and a bot that cannot log in failing alone."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any

import discord
import pytest

from adapters.discord.access import Refusal
from adapters.discord.bot import DiscordAdapter, StartupError
from adapters.discord.settings import DiscordSettings
from adapters.discord.voice import DAVE_REQUIRED, connect_voice, explain_close, voice_support
from hub import plugins
from hub.client import HubClient
from hub.contract.schemas import AdapterState
from hub.process.adapters import AdapterSupervisor, Backoff, SupervisedAdapter
from tests.adapters.discord import fake_discord as fake
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


class _Socket:
    close_code = DAVE_REQUIRED


class _ChannelWithoutDave:
    """A voice channel whose handshake Discord closes with 4017, as discord.py reports it:
    each failed attempt logged with its ConnectionClosed, then a timeout."""

    name = "Lounge"

    async def connect(self, **options: Any) -> None:
        assert options["reconnect"] is True and options["self_deaf"] is True
        try:
            raise discord.ConnectionClosed(_Socket(), shard_id=None)  # type: ignore[arg-type]
        except discord.ConnectionClosed:
            logging.getLogger("discord.voice_state").exception("Failed to connect to voice...")
        raise TimeoutError


async def test_a_4017_handshake_becomes_a_reply_the_user_understands(caplog: Any) -> None:
    with pytest.raises(Refusal, match="requires end-to-end encryption"):
        await connect_voice(_ChannelWithoutDave())
    assert "4017" in caplog.text


async def test_join_without_permission_is_explained(start_bot: Any, caplog: Any) -> None:
    guild = fake.guild()
    guild["roles"][0]["permissions"] = str(fake.VIEW | fake.SEND)  # no Connect, no Speak
    bot = await start_bot(guild)
    answer = await bot.api.final_text(bot.command("join"))
    assert answer == "I need the Connect and Speak permissions in Lounge."
    assert not bot.voices
    warning = next(r for r in caplog.records if "missing the" in r.getMessage())
    assert warning.levelname == "WARNING"
    assert "missing the Connect and Speak permission(s)" in warning.getMessage()


async def test_the_voice_channels_own_text_chat_is_read(start_bot: Any) -> None:
    bot = await start_bot()
    await bot.api.final_text(bot.command("join"))
    bot.post("reading the lounge chat", channel=fake.LOUNGE + fake.GUILD_ID)
    history = bot.ctx.player(fake.GUILD_ID).history
    await bot.api.wait_for(lambda: history)
    assert history[-1] == "Annie said, reading the lounge chat"
    bot.post("not this one", channel=fake.GENERAL + fake.GUILD_ID)
    await asyncio.sleep(0.3)
    assert len(history) == 1


async def test_a_davey_that_does_not_load_is_one_startup_line(
    hub: HubClient, discord_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "davey", None)  # "import davey" now raises ImportError
    settings = DiscordSettings(token=fake.TOKEN, api_base=discord_api.url, kv_bucket="dave-x")
    with pytest.raises(StartupError) as failure:
        await DiscordAdapter(settings, hub).start()
    message = str(failure.value)
    assert message.startswith("Discord voice needs davey, which did not load")
    assert "\n" not in message and "discord extra" in message
    assert not discord_api.requests, "it stops before logging in"
