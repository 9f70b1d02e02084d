"""The Discord adapter: from /say to the first non-silent frame handed to discord.py,
against Piper making the first sentence in-process; then two guilds speaking at once.

Run it (about a minute on a 2-core machine; it starts its own nats-server and one Piper
worker with 2 threads, and a local fake of Discord's REST API)::

    .venv/bin/python bench/discord_bench.py            # --reps 5 by default

The bot is the real ``DiscordAdapter`` logged in to the fake (tests/adapters/discord): a
``/say`` is an INTERACTION_CREATE payload fed to discord.py's own parser, the command runs
as in production, and voice is the tests' recording stand-in, driven by discord.py's own
``AudioPlayer``. The clock stops when the source hands its first Opus packet that is not
silence to the player. Both sides alternate, so other load falls on both alike. Between
them, two rows without Discord: ``hub.open`` to its first PCM chunk, and to its first Opus
packet in the bot's output format (the bus and the audio conversion), so the table shows
where the time goes.

Targets (issue 13): first audio at most 1.3x Piper's time for the first sentence; with two
guilds speaking 10-sentence texts at the same moment, each guild's first audio comes before
the other's whole message is done (neither waits for the other).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import (
    TEXTS,
    VOICE,
    BenchStack,
    load_piper,
    machine_note,
    median,
    ms,
    print_table,
    ratio,
    sleep_briefly,
    time_piper,
    time_stream,
    verdict,
    wait_for_workers,
)

from adapters.discord.playback import Utterance
from adapters.discord.source import OUTPUT
from hub.client import ClientSettings, HubClient
from tests.adapters.discord import fake_discord as fake
from tests.adapters.discord.harness import BotHarness

TEXT = " ".join(TEXTS[0])
FIRST = TEXTS[0][0]
"""Piper is timed on the first sentence alone: given the whole text, piper-tts phonemizes all
of it before its first chunk, which would flatter the bot."""
OTHER = " ".join(TEXTS[1])


async def first_packet(hub: HubClient, text: str) -> float:
    """Seconds from ``hub.open`` with the bot's output (20 ms Opus packets) to the first one:
    the bus and the audio conversion, without Discord."""
    began = time.perf_counter()
    stream = await hub.open(text, VOICE, output=OUTPUT)
    async with stream:
        async for _ in stream:
            first = time.perf_counter() - began
            break
    return first


async def started(bot: BotHarness, guild: int, text: str) -> tuple[float, Utterance]:
    """Send /say once the guild is quiet; its start time and its utterance, once playing."""
    player = bot.ctx.player(guild)
    while player.current is not None:  # the previous one is still winding down
        await asyncio.sleep(0.001)
    began = time.perf_counter()
    bot.command("say", guild=guild, text=text)
    while player.current is None or player.current.source is None:
        await asyncio.sleep(0.001)
    return began, player.current


async def say(bot: BotHarness, guild: int, text: str) -> tuple[float, float]:
    """Seconds from /say to the first real packet, and to the end of the utterance."""
    player = bot.ctx.player(guild)
    began, utterance = await started(bot, guild, text)
    source = utterance.source
    assert source is not None
    while source.first_audio_at is None and not utterance.done.is_set():
        await asyncio.sleep(0.001)
    first = (source.first_audio_at or time.perf_counter()) - began
    await player.skip()  # the rest is not measured: don't wait for the audio to play out
    await utterance.done.wait()
    return first, time.perf_counter() - began


async def until_synthesized(bot: BotHarness, guild: int, text: str) -> tuple[float, float]:
    """/say, then first real packet and the moment the whole text was synthesized."""
    player = bot.ctx.player(guild)
    began, utterance = await started(bot, guild, text)
    source = utterance.source
    assert source is not None
    while source.first_audio_at is None:
        await asyncio.sleep(0.001)
    first = source.first_audio_at - began
    while not source.finished_feeding:
        await asyncio.sleep(0.005)
    whole = time.perf_counter() - began
    await player.skip()
    await utterance.done.wait()
    return first, whole


async def run(args: argparse.Namespace) -> int:
    print(machine_note())
    piper = load_piper(threads=2)
    with BenchStack() as stack:
        stack.start_worker(threads=2)
        hub = await HubClient.connect(ClientSettings(nats_url=stack.url), "discord-bench")
        await wait_for_workers(hub, 1)
        await hub.wait_for_voice(VOICE)
        api = await fake.FakeDiscord().start()
        guilds = (fake.guild(fake.GUILD_ID), fake.guild(fake.OTHER_GUILD_ID))
        bot = await BotHarness(hub, api, kv_bucket="discord-bench", rate_limit=1000).start(*guilds)
        try:
            return await measure(bot, piper, args.reps)
        finally:
            await bot.close()
            await api.close()
            await hub.close()


async def measure(bot: BotHarness, piper: object, reps: int) -> int:
    await say(bot, fake.GUILD_ID, TEXT)  # warm-up: joins, first inference
    time_piper(piper, FIRST)  # type: ignore[arg-type]
    piper_first, bus_first, opus_first, bot_first = [], [], [], []
    for _ in range(reps):
        piper_first.append(time_piper(piper, FIRST).total)  # type: ignore[arg-type]
        await sleep_briefly()
        bus_first.append((await time_stream(bot.ctx.hub, TEXT)).first)
        await sleep_briefly()
        opus_first.append(await first_packet(bot.ctx.hub, TEXT))
        await sleep_briefly()
        bot_first.append((await say(bot, fake.GUILD_ID, TEXT))[0])
        await sleep_briefly()
    one = median(bot_first) / median(piper_first)
    print_table(
        ["10-sentence text", "first audio", "ratio"],
        [
            ["Piper in-process, the first sentence alone", ms(median(piper_first)), "1.00x"],
            ["hub.open, first PCM chunk (no Discord)", ms(median(bus_first)),
             ratio(median(bus_first) / median(piper_first))],
            ["hub.open, first Opus packet (the bot's output, no Discord)",
             ms(median(opus_first)), ratio(median(opus_first) / median(piper_first))],
            ["/say to first frame to discord.py", ms(median(bot_first)), ratio(one)],
        ],
    )  # fmt: skip
    await say(bot, fake.OTHER_GUILD_ID, OTHER)  # the second guild joins
    rows, fair = [], True
    for _ in range(max(1, reps // 2)):
        a, b = await asyncio.gather(
            until_synthesized(bot, fake.GUILD_ID, TEXT),
            until_synthesized(bot, fake.OTHER_GUILD_ID, OTHER),
        )
        fair = fair and a[0] < b[1] and b[0] < a[1]
        rows.append(
            [ms(a[0]), ms(a[1]), ms(b[0]), ms(b[1]), ratio(max(a[0], b[0]) / median(bot_first))]
        )
        await sleep_briefly()
    print_table(
        ["guild A first", "A synthesized", "guild B first", "B synthesized", "slower first / lone"],
        rows,
    )
    print(f"first audio <= 1.3x Piper's first sentence: {ratio(one)} {verdict(one <= 1.3)}")
    print(f"two guilds: each first audio before the other's whole text: {verdict(fair)}")
    return 0 if one <= 1.3 and fair else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
