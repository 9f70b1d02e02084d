from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket

from hub.client import HubClient
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.harness import BotHarness


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscord]:
    base, gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    api = await FakeDiscord().start()
    yield api
    await api.close()
    discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
async def start_bot(
    hub: HubClient, discord_api: FakeDiscord
) -> AsyncIterator[Callable[..., Awaitable[BotHarness]]]:
    """Start the real adapter against the fake (settings as keywords; ``client=`` another
    hub client); every bot of one test shares one fresh KV bucket."""
    bots: list[BotHarness] = []
    bucket = f"discord-test-{uuid.uuid4().hex[:8]}"

    async def start(*guilds: dict[str, Any], client: HubClient | None = None, **settings: Any):
        bot = BotHarness(client or hub, discord_api, kv_bucket=bucket, **settings)
        bots.append(bot)
        return await bot.start(*guilds)

    yield start
    for bot in bots:
        await bot.close()
