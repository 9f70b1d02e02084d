"""The adapter as users run it: ``voicebus up --adapter discord``, a real process logging in
to the local fake of Discord's REST API and gateway, answering a slash command that comes
over the gateway websocket. (A bot that cannot log in failing alone is test_startup.py.)"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import nats

from hub.contract.schemas import AdapterState, AdapterStatusList
from hub.contract.subjects import Subjects
from tests.adapters.discord import fake_discord as fake
from tests.adapters.discord.harness import interaction
from tests.conftest import DEFAULT_VOICE
from tests.helpers import free_port

NO_CACHE = SimpleNamespace(_get_guild=lambda _id: None)
"""A stand-in for discord.py's state when building a payload outside the bot's process."""


async def adapter_states(nats_url: str) -> dict[str, AdapterState]:
    """What the supervisor of ``voicebus up`` answers on the adapter status subject."""
    nc = await nats.connect(nats_url)
    try:
        reply = await nc.request(Subjects().adapter_status, b"", timeout=10)
    finally:
        await nc.close()
    found = AdapterStatusList.model_validate_json(reply.data).adapters
    return {status.adapter: status.state for status in found}


async def voices_answer(api: fake.FakeDiscord, first_id: int) -> str:
    """/voices over the gateway until the bot's hub client sees the Piper worker."""
    for interaction_id in range(first_id, first_id + 60):
        payload = interaction(
            interaction_id, "voices", NO_CACHE, fake.ANN, fake.GUILD_ID, None, 2, {}
        )
        await api.gateway.dispatch("INTERACTION_CREATE", payload)
        answer = await api.final_text(interaction_id, timeout=30)
        if DEFAULT_VOICE in answer:
            return answer
        await asyncio.sleep(0.5)
    raise AssertionError(f"no voices listed: {answer}")


async def test_up_with_the_discord_adapter_serves_slash_commands(
    discord_api: fake.FakeDiscord, tmp_path: Path
) -> None:
    nats_port = free_port()
    env = {
        **os.environ, "VOICEBUS_CONFIG": "", "VOICEBUS_DISCORD_TOKEN": fake.TOKEN,
        "VOICEBUS_DISCORD_API_BASE": discord_api.url,
        "VOICEBUS_DISCORD_GATEWAY_URL": discord_api.gateway.url,
        "VOICEBUS_DISCORD_KV_BUCKET": f"discord-cli-{nats_port}",
    }  # fmt: skip
    log = tmp_path / "up.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub.cli", "up", "--nats-port", str(nats_port),
            "--data-dir", str(tmp_path / "data"), "--workers", "1", "--adapter", "discord",
            env=env, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        await asyncio.wait_for(discord_api.gateway.ready.wait(), 90)
        (identify,) = discord_api.gateway.identifies
        assert identify["token"] == fake.TOKEN
        answer = await voices_answer(discord_api, 9500)
        assert f"{DEFAULT_VOICE} (piper)" in answer
        states = await adapter_states(f"nats://127.0.0.1:{nats_port}")
        assert states == {"discord": AdapterState.RUNNING}
    finally:
        process.send_signal(2)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
    text = log.read_text()
    assert fake.TOKEN not in text, "the token is a secret"
    assert "Traceback" not in text, text[-3000:]
