"""Slash commands through discord.py's own client: REST calls go to a local fake of Discord,
interactions arrive as raw INTERACTION_CREATE payloads, voice is a recording stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.discord.bot import DiscordAdapter, StartupError
from adapters.discord.settings import DiscordSettings
from hub.client import HubClient
from tests.adapters.discord import fake_discord as fake
from tests.adapters.discord.harness import BotHarness
from tests.adapters.discord.voice_stand_in import decode, left_channel
from tests.helpers import assert_is_speech, story

GUILD = fake.GUILD_ID
LOUNGE = fake.LOUNGE + GUILD
EPHEMERAL = 64
VOICE = "en_US-joe-medium"


async def wait_done(bot: BotHarness) -> None:
    player = bot.ctx.player(GUILD)
    await bot.api.wait_for(lambda: player.current is None and player.waiting == 0, 30)


async def test_logs_in_and_syncs_every_command(start_bot: Any, discord_api: Any) -> None:
    await start_bot()
    paths = [(r.method, r.path) for r in discord_api.requests]
    assert ("GET", "/users/@me") in paths
    sync = next(r for r in discord_api.requests if r.method == "PUT")
    assert sync.path == f"/applications/{fake.APP_ID}/commands"
    commands = {c["name"]: c for c in sync.body}
    assert set(commands) == {
        "say",
        "voice",
        "voices",
        "join",
        "leave",
        "skip",
        "stop",
        "autoread",
        "settings",
    }
    assert all(c["description"] for c in commands.values())
    voice_option = next(o for o in commands["say"]["options"] if o["name"] == "voice")
    assert voice_option["autocomplete"] is True


async def test_a_bad_token_is_one_clear_error(hub: HubClient, discord_api: Any) -> None:
    settings = DiscordSettings(token="wrong", api_base=discord_api.url, kv_bucket="discord-bad")
    with pytest.raises(StartupError, match="refused the bot token"):
        await DiscordAdapter(settings, hub).start()
    assert "wrong" not in repr(settings), "the token is a secret"


async def test_say_joins_the_callers_channel_and_speaks(start_bot: Any, whisper: Any) -> None:
    bot = await start_bot()
    text = "The conductor checked every ticket with a smile."
    answer = await bot.api.final_text(bot.command("say", text=text))
    assert answer == "Speaking."
    assert [v.channel.id for v in bot.voices] == [LOUNGE]
    await wait_done(bot)
    await asyncio.sleep(0.1)
    pcm = decode([data for _, data in bot.voices[0].speech_packets()])
    assert_is_speech(left_channel(pcm), 48000, text, whisper)


async def test_every_refusal_is_an_ephemeral_sentence(start_bot: Any) -> None:
    bot = await start_bot(rate_limit=2)
    cases = [
        (bot.command("say", user=fake.BOB, text="hello"), "Join a voice channel first"),
        (bot.command("say", text="hello", voice="no-such-voice"), "I do not know the voice"),
        (bot.command("voice", name="nobody"), "I do not know the voice"),
        (bot.command("say", text="```only code```"), "nothing I can read aloud"),
        (bot.command("settings", user=fake.BOB, max_chars=40), "manage the server"),
    ]
    for interaction_id, expected in cases:
        assert expected in await bot.api.final_text(interaction_id)
        assert all(a.get("flags") == EPHEMERAL for a in bot.api.answers(interaction_id))
    await bot.api.final_text(bot.command("say", text="One."))
    await bot.api.final_text(bot.command("say", text="Two."))
    assert "going too fast" in await bot.api.final_text(bot.command("say", text="Three."))


async def test_guild_and_role_limits(start_bot: Any) -> None:
    bot = await start_bot(allowed_guilds=[999])
    assert "not allowed to speak in this server" in await bot.api.final_text(
        bot.command("say", text="hi")
    )
    bot = await start_bot(allowed_roles=[fake.DJ_ROLE])
    assert "roles allowed" in await bot.api.final_text(bot.command("join"))


async def test_no_engine_is_explained(start_bot: Any, private_bus: Any) -> None:
    lonely = await private_bus.client()
    bot = await start_bot(client=lonely)
    assert "No speech engine" in await bot.api.final_text(bot.command("say", text="Hello."))


async def test_skip_only_the_current_then_stop_the_rest(start_bot: Any) -> None:
    bot = await start_bot()
    await bot.api.final_text(bot.command("say", text=story(6)))
    await bot.api.final_text(bot.command("say", text="Then the train slowed down."))
    player = bot.ctx.player(GUILD)
    first = player.current
    await bot.api.wait_for(lambda: first and first.source and first.source.packets > 5)
    assert await bot.api.final_text(bot.command("skip")) == "Skipped."
    await bot.api.wait_for(lambda: player.current is not None and player.current is not first)
    assert await bot.api.final_text(bot.command("stop")) == "Stopped; 1 message(s) dropped."
    await wait_done(bot)
    assert first is not None and first.source is not None and first.source.packets < 200


async def test_voice_autocomplete_lists_live_voices(start_bot: Any) -> None:
    bot = await start_bot()
    interaction_id = bot.command("say", kind=4, text="x", voice="joe", focused="voice")
    await bot.api.wait_for(lambda: bot.api.answers(interaction_id))
    answer = bot.api.answers(interaction_id)[0]
    assert answer["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    assert {"name": VOICE, "value": VOICE} in answer["choices"]


async def test_voice_autocomplete_of_the_voice_command(start_bot: Any) -> None:
    bot = await start_bot()
    interaction_id = bot.command("voice", kind=4, name="JOE", focused="name")
    await bot.api.wait_for(lambda: bot.api.answers(interaction_id))
    answer = bot.api.answers(interaction_id)[0]
    assert answer["type"] == 8 and answer["choices"] == [{"name": VOICE, "value": VOICE}]
    interaction_id = bot.command("voice", kind=4, name="nobody-has-this", focused="name")
    await bot.api.wait_for(lambda: bot.api.answers(interaction_id))
    assert bot.api.answers(interaction_id)[0]["choices"] == []


async def test_voices_lists_every_voice_with_its_engine(start_bot: Any, hub: HubClient) -> None:
    bot = await start_bot()
    answer = await bot.api.final_text(bot.command("voices"))
    expected = sorted({f"{r.voice.name} ({r.engine})" for r in hub.voices()})
    assert answer.split("\n") == expected and f"{VOICE} (piper)" in expected
    assert all(a.get("flags") == EPHEMERAL for a in bot.api.answers(bot.command("voices")))


async def test_voices_without_an_engine(start_bot: Any, private_bus: Any) -> None:
    lonely = await private_bus.client()
    bot = await start_bot(client=lonely)
    assert "No speech engine" in await bot.api.final_text(bot.command("voices"))


async def test_guild_ids_sync_the_commands_to_those_guilds(
    start_bot: Any, discord_api: Any
) -> None:
    await start_bot(guild_ids=[GUILD, fake.OTHER_GUILD_ID])
    puts = [r for r in discord_api.requests if r.method == "PUT"]
    assert [r.path for r in puts] == [
        f"/applications/{fake.APP_ID}/guilds/{GUILD}/commands",
        f"/applications/{fake.APP_ID}/guilds/{fake.OTHER_GUILD_ID}/commands",
    ], "guild commands only, no global sync"
    for put in puts:
        assert {c["name"] for c in put.body} >= {"say", "voice", "settings", "autoread"}


async def test_a_full_queue_is_refused(start_bot: Any) -> None:
    bot = await start_bot(queue_size=1)
    player = bot.ctx.player(GUILD)
    assert await bot.api.final_text(bot.command("say", text=story(6))) == "Speaking."
    await bot.api.wait_for(lambda: player.current is not None and player.waiting == 0)
    assert await bot.api.final_text(bot.command("say", text="Two.")) == "Queued (1 before it)."
    answer = await bot.api.final_text(bot.command("say", text="Three."))
    assert answer == "Too many messages are waiting; try again soon or /stop."
    assert player.waiting == 1 and list(player.history)[-1] == "Two."


async def test_settings_and_voices_survive_a_restart(start_bot: Any) -> None:
    bot = await start_bot()
    await bot.api.final_text(bot.command("voice", name=VOICE))
    await bot.api.final_text(
        bot.command("settings", max_chars=40, xsaid=False, replace="gg=good game", speed=1.5)
    )
    await bot.close()
    again = await start_bot()
    shown = await again.api.final_text(again.command("settings"))
    assert "Max characters: 40" in shown and "gg=good game" in shown
    assert "Say who said it: no" in shown and "Your speed: 1.5" in shown
    assert (await again.ctx.store.user(fake.ANN)).voice == VOICE
    await again.api.final_text(again.command("say", text="gg " + "and more words " * 10))
    spoken = again.ctx.player(GUILD).history[-1]
    assert spoken.startswith("good game and more") and spoken.endswith(" and so on")
    assert len(spoken) <= 40


async def test_autoread_reads_each_author_and_skips_what_it_should(start_bot: Any) -> None:
    general = fake.GENERAL + GUILD
    bot = await start_bot(fake.guild(in_voice={fake.ANN: LOUNGE, fake.ROBOT: LOUNGE}))
    answer = await bot.api.final_text(bot.command("autoread", state="on"))
    assert answer == f"I will read <#{general}> aloud in Lounge."
    history = bot.ctx.player(GUILD).history
    member = {
        k: v for k, v in fake.member(fake.BOB, "bob", [], nick="Bobby").items() if k != "user"
    }
    bob = {**fake.user(fake.BOB, "bob"), "member": member}
    text = f"hey <@{fake.BOB}> look https://www.example.com/x ||secret||"
    bot.post(text, channel=general, mentions=[bob])
    await bot.api.wait_for(lambda: len(history) == 1)
    assert history[-1] == "Annie said, hey Bobby look a link to example.com"
    bot.post("beep", user=fake.ROBOT, channel=general)  # a bot
    bot.post("hi", user=fake.BOB, channel=general)  # not in the voice channel
    bot.post("and again", channel=general)
    await bot.api.wait_for(lambda: len(history) == 2)
    assert history[-1] == "and again", "no '<name> said' for the same author within a minute"
    await asyncio.sleep(0.2)
    assert len(history) == 2
    await bot.api.final_text(bot.command("autoread", state="off"))
    bot.post("not read", channel=general)
    await asyncio.sleep(0.3)
    assert len(history) == 2


def test_the_token_is_a_secret() -> None:
    settings = DiscordSettings(token="s3cret")
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    assert settings.token is not None and settings.token.get_secret_value() == "s3cret"
