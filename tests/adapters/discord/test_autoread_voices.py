"""Autoread reads each author in their own voice and at their own speed, through a real
Piper worker serving two voices (the bundled one, and a copy of it under another name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.discord.playback import Utterance
from engines.piper.voices import bundled_voice_files
from tests.adapters.discord import fake_discord as fake
from tests.conftest import DEFAULT_VOICE

GUILD = fake.GUILD_ID
LOUNGE = fake.LOUNGE + GUILD
GENERAL = fake.GENERAL + GUILD
ANNS_VOICE = "en_US-ann-medium"
TEXT = "Please open the window, because the kitchen is getting very warm today."


def second_voice(folder: Path) -> Path:
    """A voices_dir with the bundled model under another name (a voice of its own)."""
    model, config = bundled_voice_files()
    (folder / f"{ANNS_VOICE}.onnx").symlink_to(model)
    (folder / f"{ANNS_VOICE}.onnx.json").symlink_to(config)
    return folder


async def test_each_author_in_their_own_voice_and_speed(
    start_bot: Any, private_bus: Any, tmp_path: Path
) -> None:
    private_bus.engine("piper", VOICEBUS_VOICES_DIR=str(second_voice(tmp_path)))
    client = await private_bus.client(voice=ANNS_VOICE)
    bot = await start_bot(fake.guild(in_voice={fake.ANN: LOUNGE, fake.BOB: LOUNGE}), client=client)
    assert await bot.api.final_text(bot.command("voice", name=ANNS_VOICE)) == (
        f"Your voice is now {ANNS_VOICE}."
    )
    await bot.api.final_text(bot.command("voice", user=fake.BOB, name=DEFAULT_VOICE))
    await bot.api.final_text(bot.command("settings", xsaid=False, speed=1.5))  # Ann's speed
    await bot.api.final_text(bot.command("autoread", state="on"))

    player = bot.ctx.player(GUILD)
    queued: list[Utterance] = []
    enqueue = player.enqueue

    def recording(utterance: Utterance) -> int:  # the real queue, recording what it gets
        queued.append(utterance)
        return enqueue(utterance)

    player.enqueue = recording  # type: ignore[method-assign]
    bot.post(TEXT, user=fake.BOB, channel=GENERAL)
    await bot.api.wait_for(lambda: len(queued) == 1)
    bot.post(TEXT, user=fake.ANN, channel=GENERAL)
    await bot.api.wait_for(lambda: len(queued) == 2)
    bob, ann = queued
    assert (bob.voice, bob.speed) == (DEFAULT_VOICE, 1.0)
    assert (ann.voice, ann.speed) == (ANNS_VOICE, 1.5)
    assert bob.text == ann.text == TEXT
    for utterance in queued:
        await bot.api.wait_for(utterance.done.is_set, 60)
    assert bob.source is not None and ann.source is not None
    normal, fast = bob.source.packets * 0.02, ann.source.packets * 0.02
    assert normal / fast == pytest.approx(1.5, rel=0.12), (normal, fast)
