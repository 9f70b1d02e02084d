"""Work distribution and first audio, the table of issue 17, side by side in one run.

Run it (about six minutes on a 2-core machine; it starts its own nats-server, engine
workers, a Wyoming adapter and wyoming-piper, and stops them at the end, also on Ctrl-C)::

    .venv/bin/python bench/distribution_bench.py             # 3 runs
    .venv/bin/python bench/distribution_bench.py --runs 1    # quicker, noisier

Each run measures, on the same machine moments apart:

1. ``2 workers vs 1``: a 20-sentence text (client ``max_in_flight`` 4) on one worker pinned
   to one core with ``taskset`` and one inference thread, then on two such workers pinned one
   per core: total time of one over total time of two. The split of sentences is printed.
2. ``4 clients / lone``: four clients send different 10-sentence texts at once to one
   worker (2 threads); the slowest first audio over the median of each client's first
   sentence sent alone. For comparison, also on a worker with 2 slots of 1 thread each
   (``--concurrency 2 --threads 1``): two first sentences at once, each slower alone.
3. ``new request while a long one runs / lone``: one client's 20-sentence text is playing;
   another client's 3-sentence text arrives; its first audio over the same text alone.
4. ``bus adds to a lone first audio``: one sentence through the bus minus Piper called in
   this process, median of paired differences (the bus must add under 5 ms).
5. ``Wyoming long first sentence``: a one-shot ``synthesize`` of a 40-word sentence with
   commas, first audio through voicebus's Wyoming adapter over wyoming-piper's (same voice,
   same CPU; wyoming-piper's virtualenv is built from ``requirements/wyoming-piper.lock`` on
   first use, see bench/wyoming_bench.py).

Before the runs it prints what each way of handing out work costs a lone request
(``bench/dispatch_costs.py``). Numbers mean something only on an otherwise idle machine; the
load is printed first, and with ``OutsideLoad`` after each run.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import dispatch_costs
from common import (
    TEXTS,
    VOICE,
    BenchStack,
    OutsideLoad,
    load_piper,
    machine_note,
    median,
    paragraph,
    print_table,
    ratio,
    sleep_briefly,
    taskset_available,
    time_piper,
    time_stream,
    verdict,
    wait_for_workers,
)
from wyoming_bench import ensure_wyoming_piper, one_shot, start_voicebus, start_wyoming_piper

from hub.client import ClientSettings, HubClient

LONG_FIRST = (
    "When the evening train finally pulled into the station, the tired passengers, who had "
    "waited for hours in the cold wind, gathered their bags, said goodbye to the friendly "
    "conductor and hurried toward the warm lights of the town."
)
"""About 40 words with commas, as the issue's Wyoming row asks."""


@dataclass
class Run:
    """One run's ratios, by measure."""

    values: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


async def connect(url: str, prefix: str, workers: int, in_flight: int = 3) -> HubClient:
    settings = ClientSettings(nats_url=url, max_in_flight=in_flight, subject_prefix=prefix)
    hub = await HubClient.connect(settings, f"bench-{prefix}")
    await wait_for_workers(hub, workers)
    await hub.wait_for_voice(VOICE)
    return hub


async def close(*hubs: HubClient) -> None:
    for hub in hubs:
        await hub.close()


# ---- 1. scale-out --------------------------------------------------------------------


async def scale(stack: BenchStack, run: Run) -> None:
    specs = [("solo", 0), ("pair", 0), ("pair", 1)]
    stack.start_workers(
        [{"threads": 1, "cpu": cpu, "env": {"VOICEBUS_SUBJECT_PREFIX": p}} for p, cpu in specs]
    )
    solo = await connect(stack.url, "solo", 1, 4)
    pair = await connect(stack.url, "pair", 2, 4)
    text = paragraph(20)
    try:
        await time_stream(solo, paragraph(4, start=20))  # warm-up
        await time_stream(pair, paragraph(6, start=24))
        one = await time_stream(solo, text)
        await sleep_briefly()
        two = await time_stream(pair, text)
    finally:
        await close(solo, pair)
        stack.stop_workers()
    run.values["2 workers vs 1, total time"] = one.total / two.total
    split = "/".join(str(n) for _, n in Counter(two.served_by).most_common())
    run.notes.append(f"split of 20 sentences over 2 workers: {split}")


# ---- 2. and 3. first audio under load ------------------------------------------------


async def first_audio(hub: HubClient, text: str) -> float:
    """Seconds from ``open`` to the first audio; the rest is cancelled."""
    began = time.perf_counter()
    stream = await hub.open(text, VOICE)
    async with stream:
        await stream.__anext__()
        return time.perf_counter() - began


async def crowd_ratio(hubs: list[HubClient]) -> float:
    """Four texts at once: the slowest first audio over each first sentence alone."""
    await first_audio(hubs[0], TEXTS[0][0])  # warm-up
    lone = []
    for hub, text in zip(hubs, TEXTS, strict=True):
        await sleep_briefly()
        lone.append(await first_audio(hub, text[0]))
    await sleep_briefly()
    together = await asyncio.gather(
        *(first_audio(hub, " ".join(text)) for hub, text in zip(hubs, TEXTS, strict=True))
    )
    return max(together) / median(lone)


async def crowd(stack: BenchStack, run: Run) -> None:
    stack.start_worker(threads=1, concurrency=2)
    hubs = [await connect(stack.url, "voicebus", 1) for _ in TEXTS]
    try:
        run.values[SLOTS_ROW] = await crowd_ratio(hubs)
    finally:
        await close(*hubs)
        stack.stop_workers()
    stack.start_worker(threads=2, concurrency=1)
    hubs = [await connect(stack.url, "voicebus", 1) for _ in TEXTS]
    try:
        run.values[CROWD_ROW] = await crowd_ratio(hubs)
        await sleep_briefly()
        text = paragraph(3, start=30)
        alone = await first_audio(hubs[1], text)
        long_one = await hubs[0].open(paragraph(20), VOICE)
        async with long_one:
            await long_one.__anext__()
            meanwhile = await first_audio(hubs[1], text)
        run.values["new request's first audio while a long one runs / lone"] = meanwhile / alone
    finally:
        await close(*hubs)
        stack.stop_workers()


# ---- 4. what the bus adds ------------------------------------------------------------


async def bus_cost(stack: BenchStack, run: Run, pairs: int) -> None:
    piper = load_piper(threads=2)
    stack.start_worker(threads=2)
    hub = await connect(stack.url, "voicebus", 1)
    text = TEXTS[0][0]
    try:
        time_piper(piper, text)
        await time_stream(hub, text)
        diffs = []
        for index in range(pairs):  # the order alternates, so other load falls on both
            await sleep_briefly()
            if index % 2:
                bus, local = (await time_stream(hub, text)).first, time_piper(piper, text).first
            else:
                local, bus = time_piper(piper, text).first, (await time_stream(hub, text)).first
            diffs.append(bus - local)
    finally:
        await close(hub)
        stack.stop_workers()
    run.values["bus adds to a lone first audio (ms)"] = median(diffs) * 1000


# ---- 5. Wyoming, long first sentence -------------------------------------------------


async def wyoming(stack: BenchStack, run: Run, reps: int) -> None:
    python = ensure_wyoming_piper()
    stack.start_worker(threads=2)
    with tempfile.TemporaryDirectory() as work:
        ours = start_voicebus(stack)
        theirs = start_wyoming_piper(python, Path(work))
        try:
            await ours.wait_ready()
            await theirs.wait_ready()
            for server in (ours, theirs):
                await one_shot(server.port, LONG_FIRST)  # warm-up
            firsts: dict[str, list[float]] = {"ours": [], "theirs": []}
            for rep in range(reps):
                order = [("ours", ours), ("theirs", theirs)]
                for name, server in order if rep % 2 == 0 else order[::-1]:
                    firsts[name].append((await one_shot(server.port, LONG_FIRST)).first)
        finally:
            ours.stop()
            theirs.stop()
            stack.stop_workers()
    run.values[WYOMING_ROW] = median(firsts["ours"]) / median(firsts["theirs"])


# ---- report --------------------------------------------------------------------------

CROWD_ROW = "4 clients on one worker, slowest first audio / lone"
WYOMING_ROW = "Wyoming first audio, long first sentence, ours / wyoming-piper"
SLOTS_ROW = "  the same, on a worker with 2 slots of 1 thread (for comparison)"

TARGETS = {
    "2 workers vs 1, total time": (">= 1.85x", lambda v: v >= 1.85),
    CROWD_ROW: ("<= 2.5x", lambda v: v <= 2.5),
    SLOTS_ROW: ("", lambda v: True),
    "new request's first audio while a long one runs / lone": ("<= 1.5x", lambda v: v <= 1.5),
    "bus adds to a lone first audio (ms)": ("< 5 ms", lambda v: v < 5),
    WYOMING_ROW: ("<= 0.6x", lambda v: v <= 0.6),
}


def report(runs: list[Run]) -> None:
    print("\nsummary (every run must meet the target)")
    headers = ["measure", *(f"run {i + 1}" for i in range(len(runs))), "target", ""]
    rows = []
    for name, (target, check) in TARGETS.items():
        values = [run.values.get(name) for run in runs]
        cells = ["-" if v is None else (f"{v:+.1f}" if "ms" in name else ratio(v)) for v in values]
        done = [v for v in values if v is not None]
        passed = verdict(all(map(check, done))) if target and done else ""
        rows.append([name, *cells, target, passed])
    print_table(headers, rows)


async def one_run(stack: BenchStack, args: argparse.Namespace, index: int) -> Run:
    run = Run()
    with OutsideLoad() as load:
        await scale(stack, run)
        await crowd(stack, run)
        await bus_cost(stack, run, args.pairs)
        if not args.no_wyoming:
            await wyoming(stack, run, args.wyoming_reps)
    print(f"run {index + 1}: " + "; ".join(run.notes) + f"; {load.note()}", flush=True)
    return run


async def main_async(stack: BenchStack, args: argparse.Namespace) -> list[Run]:
    print("\nwhat each way of handing out work costs a lone request (no engine):")
    dispatch_costs.print_costs(await dispatch_costs.measure(stack.url))
    return [await one_run(stack, args, index) for index in range(args.runs)]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs side by side (default 3)")
    parser.add_argument("--pairs", type=int, default=12, help="bus/Piper pairs per run")
    parser.add_argument("--wyoming-reps", type=int, default=3, help="Wyoming reps per run")
    parser.add_argument("--no-wyoming", action="store_true", help="skip the Wyoming row")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    began = time.monotonic()
    print(f"voicebus work distribution; {machine_note()}")
    if not taskset_available():
        print("taskset not found: the scale-out workers are not pinned to cores")
    try:
        with BenchStack() as stack:
            runs = asyncio.run(main_async(stack, args))
    except KeyboardInterrupt:
        print("\ninterrupted; workers and servers stopped", file=sys.stderr)
        return 130
    report(runs)
    print(f"\n(took {time.monotonic() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
