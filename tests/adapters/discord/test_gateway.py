"""Start-up through the adapter's real ``serve()``: discord.py's own gateway client against
a local fake gateway websocket (HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats), and an
interaction that arrives over the wire. The other tests feed events to the parsers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.bot import DiscordAdapter, StartupError
from adapters.discord.settings import DiscordSettings
from hub.client import HubClient
from tests.adapters.discord import fake_discord as fake
from tests.adapters.discord.fake_gateway import MESSAGE_CONTENT
from tests.adapters.discord.fake_voice import FakeVoiceServer, make_certificate, trust
from tests.adapters.discord.harness import interaction


def settings(api: fake.FakeDiscord) -> DiscordSettings:
    return DiscordSettings(
        token=fake.TOKEN,
        api_base=api.url,
        gateway_url=api.gateway.url,
        kv_bucket=f"discord-gw-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
async def serving(hub: HubClient, discord_api: fake.FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    adapter = DiscordAdapter(settings(discord_api), hub)
    stop = asyncio.Event()
    task = asyncio.create_task(adapter.serve(stop))
    yield adapter
    stop.set()
    await asyncio.wait_for(task, 15)


async def test_serve_identifies_with_message_content_and_gets_ready(
    serving: DiscordAdapter, discord_api: fake.FakeDiscord
) -> None:
    gateway = discord_api.gateway
    await asyncio.wait_for(gateway.ready.wait(), 15)
    (identify,) = gateway.identifies
    assert identify["token"] == fake.TOKEN
    assert identify["intents"] & MESSAGE_CONTENT, "autoread needs the Message Content intent"
    await discord_api.wait_for(lambda: gateway.acks >= 1)  # the first heartbeat, acknowledged
    client = serving.client
    assert client is not None
    await discord_api.wait_for(lambda: client.is_ready() and client.get_guild(fake.GUILD_ID))
    assert client.user is not None and client.user.id == fake.BOT_ID

    interaction_id = 9990
    payload = interaction(
        interaction_id, "voices", client._connection, fake.ANN, fake.GUILD_ID, None, 2, {}
    )
    await gateway.dispatch("INTERACTION_CREATE", payload)
    assert "en_US-joe-medium (piper)" in await discord_api.final_text(interaction_id)


async def test_a_refused_message_content_intent_is_one_clear_line(
    hub: HubClient, discord_api: fake.FakeDiscord
) -> None:
    discord_api.gateway.refuse = 4014
    adapter = DiscordAdapter(settings(discord_api), hub)
    with pytest.raises(StartupError) as failure:
        await asyncio.wait_for(adapter.serve(asyncio.Event()), 30)
    message = str(failure.value)
    assert message.startswith("Discord refused the Message Content intent")
    assert "\n" not in message and "Privileged Gateway Intents" in message
    assert discord_api.gateway.identifies, "it was refused after IDENTIFY"
    assert adapter.client is not None and adapter.client.is_closed()


async def test_gateway_bot_is_answered(discord_api: fake.FakeDiscord) -> None:
    """Only discord.py's AutoShardedClient asks for it; answered in case a version does."""
    discord.http.Route.BASE = discord_api.url
    client = discord.Client(intents=discord.Intents.default())
    await client.login(fake.TOKEN)
    try:
        shards, url, _ = await client.http.get_bot_gateway()
        assert (shards, url) == (1, discord_api.gateway.url)
    finally:
        await client.close()


@pytest.fixture
async def refusing_voice(
    tmp_path: Path, discord_api: fake.FakeDiscord
) -> AsyncIterator[FakeVoiceServer]:
    cert, key = make_certificate(tmp_path)
    trust(cert)
    server = await FakeVoiceServer().start(cert, key)
    discord_api.gateway.voice_endpoint = server.endpoint
    yield server
    await server.close()


async def test_join_through_the_real_voice_connect_explains_a_4017(
    refusing_voice: FakeVoiceServer,
    serving: DiscordAdapter,
    discord_api: fake.FakeDiscord,
    caplog: Any,
) -> None:
    """discord.py's own VoiceClient: op 4 on the gateway, VOICE_STATE/SERVER_UPDATE back,
    the voice websocket over TLS, IDENTIFY with DAVE, closed with 4017: refused at once, not
    after discord.py's retries (20 s of them)."""
    gateway = discord_api.gateway
    await asyncio.wait_for(gateway.ready.wait(), 15)
    client = serving.client
    assert client is not None
    await discord_api.wait_for(lambda: client.get_guild(fake.GUILD_ID))
    payload = interaction(9991, "join", client._connection, fake.ANN, fake.GUILD_ID, None, 2, {})
    await gateway.dispatch("INTERACTION_CREATE", payload)
    answer = await discord_api.final_text(9991, timeout=60)
    assert answer == "Discord refused my voice connection (it requires end-to-end encryption)."
    assert len(refusing_voice.identifies) == 1, "no retries after a 4017"
    assert refusing_voice.identifies[0]["max_dave_protocol_version"] >= 1, "DAVE was offered"
    assert "4017 (DAVE end-to-end encryption required)" in caplog.text
    joins = [s for s in gateway.voice_states if s["channel_id"] is not None]
    assert joins and int(joins[0]["channel_id"]) == fake.LOUNGE + fake.GUILD_ID
    guild = client.get_guild(fake.GUILD_ID)
    assert guild is not None and guild.voice_client is None, "the failed client is cleaned up"
