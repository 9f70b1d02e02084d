"""/settings through discord.py's own client: the required role, reading options in
autoread (nicknames, bots, members outside voice, "<name> said"), and persistence."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from tests.adapters.discord import fake_discord as fake
from tests.adapters.discord.harness import BotHarness

GUILD = fake.GUILD_ID
LOUNGE = fake.LOUNGE + GUILD
GENERAL = fake.GENERAL + GUILD
DJ = discord.Object(fake.DJ_ROLE)
NEEDS_DJ = f"You need the <@&{fake.DJ_ROLE}> role to make me speak here."


def guild_with_a_dj(in_voice: dict[int, int]) -> dict[str, Any]:
    """The test guild, where Bob has the DJ role (Ann, the manager, has not)."""
    payload = fake.guild(in_voice=in_voice)
    bob = next(m for m in payload["members"] if m["user"]["id"] == str(fake.BOB))
    bob["roles"] = [str(fake.DJ_ROLE)]
    return payload


async def read(bot: BotHarness, content: str, *, user: int = fake.ANN) -> str:
    """Post ``content`` in #general and return what was queued for it."""
    history = bot.ctx.player(GUILD).history
    before = len(history)
    bot.post(content, user=user, channel=GENERAL)
    await bot.api.wait_for(lambda: len(history) > before)
    return history[-1]


async def nothing_read(bot: BotHarness, content: str, *, user: int) -> bool:
    history = bot.ctx.player(GUILD).history
    before = len(history)
    bot.post(content, user=user, channel=GENERAL)
    await asyncio.sleep(0.3)
    return len(history) == before


async def test_required_role_refuses_with_the_role_named_and_can_be_cleared(
    start_bot: Any,
) -> None:
    bot = await start_bot(guild_with_a_dj({fake.ANN: LOUNGE, fake.BOB: LOUNGE}))
    shown = await bot.api.final_text(bot.command("settings", required_role=DJ))
    assert f"Required role: <@&{fake.DJ_ROLE}>" in shown
    assert await bot.api.final_text(bot.command("say", text="Hello.")) == NEEDS_DJ
    assert await bot.api.final_text(bot.command("say", user=fake.BOB, text="Hi.")) == "Speaking."
    shown = await bot.api.final_text(bot.command("settings", clear_role=True))
    assert "Required role: none" in shown, "a manager without the role can clear it"
    answer = await bot.api.final_text(bot.command("say", text="Hello again."))
    assert answer.startswith("Queued") or answer == "Speaking.", answer


async def test_reading_options_in_autoread(start_bot: Any) -> None:
    bot = await start_bot(fake.guild(in_voice={fake.ANN: LOUNGE, fake.ROBOT: LOUNGE}))
    await bot.api.final_text(bot.command("autoread", state="on"))
    assert await read(bot, "hello") == "Annie said, hello", "the nickname by default"
    assert await nothing_read(bot, "beep", user=fake.ROBOT), "bots ignored by default"
    assert await nothing_read(bot, "hi", user=fake.BOB), "Bob is not in the voice channel"
    shown = await bot.api.final_text(
        bot.command("settings", nicknames=False, bot_ignore=False, require_voice=False)
    )
    assert "Nicknames: no" in shown and "Ignore bots: no" in shown
    assert "Only members in voice: no" in shown
    assert await read(bot, "beep", user=fake.ROBOT) == "Robot said, beep"
    assert await read(bot, "hi there", user=fake.BOB) == "Bob said, hi there"
    assert await read(bot, "hello") == "Ann said, hello", "the global name, not the nickname"
    await bot.api.final_text(bot.command("settings", xsaid=False))
    assert await read(bot, "and hello", user=fake.BOB) == "and hello", "no '<name> said'"


async def test_guild_settings_survive_a_restart(start_bot: Any) -> None:
    bot = await start_bot(guild_with_a_dj({fake.ANN: LOUNGE}))
    await bot.api.final_text(bot.command("autoread", state="on"))
    await bot.api.final_text(
        bot.command(
            "settings", required_role=DJ, nicknames=False, bot_ignore=False, require_voice=False
        )
    )
    await bot.close()
    again = await start_bot(guild_with_a_dj({fake.ANN: LOUNGE}))
    shown = await again.api.final_text(again.command("settings"))
    assert f"Required role: <@&{fake.DJ_ROLE}>" in shown and "Nicknames: no" in shown
    assert "Ignore bots: no" in shown and "Only members in voice: no" in shown
    config = await again.ctx.store.guild(GUILD)
    assert config.autoread == {str(GENERAL): LOUNGE}
    # Bob is not in voice and has the role: read, by his global name, in the linked channel
    assert await read(again, "still linked", user=fake.BOB) == "Bob said, still linked"
    assert await nothing_read(again, "me neither", user=fake.ANN), "Ann lacks the role"
    assert await again.api.final_text(again.command("say", text="Hi.")) == NEEDS_DJ
