"""The bot's voice presence: a voice drop that discord.py reconnects keeps the queue; a
disconnect from outside forgets the voice, and a later /say joins again; an empty channel
is left. The bot's own VOICE_STATE_UPDATEs go through discord.py's parser to the
registered voice client (``ConnectedVoice``) and to the adapter's listener."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.adapters.discord import fake_discord as fake
from tests.adapters.discord.harness import BotHarness
from tests.helpers import story

GUILD = fake.GUILD_ID
LOUNGE = fake.LOUNGE + GUILD


async def speaking(bot: BotHarness, text: str) -> Any:
    player = bot.ctx.player(GUILD)
    assert await bot.api.final_text(bot.command("say", text=text)) == "Speaking."
    first = player.current
    await bot.api.wait_for(lambda: first and first.source and first.source.packets > 5)
    return first


async def test_a_voice_drop_keeps_the_queue_and_say_goes_on(start_bot: Any) -> None:
    bot = await start_bot()
    first = await speaking(bot, story(8))
    assert await bot.api.final_text(bot.command("say", text="Then it rained.")) == (
        "Queued (1 before it)."
    )
    voice = bot.voices[0]
    voice.drop()  # the voice websocket dropped; discord.py leaves and rejoins the channel
    bot.voice_update(fake.BOT_ID, None)
    await asyncio.sleep(0.5)
    player = bot.ctx.player(GUILD)
    assert player.current is first and player.waiting == 1, "the queue survives the drop"
    bot.voice_update(fake.BOT_ID, LOUNGE)  # reconnected
    await bot.api.wait_for(lambda: voice.connected, 5)
    answer = await bot.api.final_text(bot.command("say", text="And then the sun came out."))
    assert answer.startswith("Queued"), answer
    assert bot.voices == [voice] and bot.ctx.voices[GUILD] is voice, "no second connection"
    history = player.history
    await bot.api.wait_for(lambda: player.current is None and player.waiting == 0, 60)
    assert history[-1] == "And then the sun came out."
    assert not voice.disconnected
    played = [u.source.packets for u in (first,) if u.source is not None]
    assert played and played[0] > 5


async def test_say_after_a_disconnect_from_outside_joins_again(start_bot: Any) -> None:
    bot = await start_bot()
    await speaking(bot, story(8))
    bot.voice_update(fake.BOT_ID, None)  # kicked: no drop before it
    await bot.api.wait_for(lambda: bot.voices[0].disconnected and GUILD not in bot.ctx.voices)
    player = bot.ctx.player(GUILD)
    await bot.api.wait_for(lambda: player.current is None and player.waiting == 0)
    assert await bot.api.final_text(bot.command("say", text="I am back.")) == "Speaking."
    assert len(bot.voices) == 2 and bot.ctx.voices[GUILD] is bot.voices[1]
    assert await bot.api.final_text(bot.command("leave")) == "Left the voice channel."
    assert bot.voices[1].disconnected


async def test_leave_during_a_reconnection_disconnects(start_bot: Any) -> None:
    bot = await start_bot()
    await bot.api.final_text(bot.command("join"))
    bot.voices[0].drop()
    bot.voice_update(fake.BOT_ID, None)
    await asyncio.sleep(0.3)
    assert await bot.api.final_text(bot.command("leave")) == "Left the voice channel."
    assert bot.voices[0].disconnected
    assert await bot.api.final_text(bot.command("leave")) == "I am not in one."


async def test_leaves_when_the_channel_empties(start_bot: Any) -> None:
    bot = await start_bot()
    assert await bot.api.final_text(bot.command("join")) == "Joined Lounge."
    bot.voice_update(fake.ANN, None)
    await bot.api.wait_for(lambda: bot.voices[0].disconnected, 5)
    assert GUILD not in bot.ctx.voices
