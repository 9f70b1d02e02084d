"""What the bus costs and what it buys: voicebus against Piper called in-process.

Run it (about three minutes on a 2-core machine; it starts its own nats-server and engine
workers on a free port and stops them at the end, also on Ctrl-C)::

    .venv/bin/python bench/bus_vs_piper.py            # or: make bench
    .venv/bin/python bench/bus_vs_piper.py --reps 3   # quicker, noisier

It measures, as medians over repetitions after a warm-up (the two sides of every comparison
alternate, so load from other processes falls on both alike):

1. Bus overhead. Time to first audio and total time of a 1-sentence and a 10-sentence text
   through the bus (one ``voicebus engine piper`` worker with 2 onnxruntime threads, client
   ``max_in_flight`` 3) against ``PiperVoice.synthesize`` in this process (2 threads), which
   yields one chunk per sentence. Targets: the bus adds under 5 ms to the first audio, and a
   10-sentence text's first audio is within 1.3x of Piper making the first sentence alone.
   Also shown: the bus's first audio minus the worker's own synthesis time for that sentence
   (from its ``end`` message), the bus's cost without the noise of two inference runs.
2. Scale-out. A 20-sentence text (client ``max_in_flight`` 4) on 1 worker pinned to one core
   with 1 thread, against 2 such workers pinned one per core (both setups run side by side
   under different subject prefixes). Target: at least 1.7x faster. The split of sentences
   over the workers is printed (work goes to a worker with a free slot, docs/bus.md).
3. Fairness. Four clients (four connections) each send a different 10-sentence text at the
   same moment to one worker with 2 threads. Target: the slowest client's first audio is
   within 3x of a lone request's first audio (that client's first sentence sent alone).

Everything is printed as tables, then a summary with PASS or MISS for each target. The
numbers only mean something on an otherwise idle machine; the load average is printed first.
``--parts 13`` runs only some parts; ``--help`` lists the other knobs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from common import (
    TEXTS,
    VOICE,
    BenchStack,
    OutsideLoad,
    Timing,
    load_piper,
    machine_note,
    median,
    ms,
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
from piper import PiperVoice

from hub.client import ClientSettings, HubClient
from hub.contract.errors import VoicebusError

SAMPLE_RATE = 22050
BYTES_PER_SECOND = 2 * SAMPLE_RATE
ONE_SENTENCE_FACTOR = 8
"""Part 1 repeats the 1-sentence case this many times more often than the 10-sentence one."""


# ---- the baseline: Piper in this process ---------------------------------------------


# ---- results ---------------------------------------------------------------------------


@dataclass
class Runs:
    """Repeated timings of one case, by path ("piper" or "bus")."""

    piper: list[Timing] = field(default_factory=list)
    bus: list[Timing] = field(default_factory=list)

    def first(self, path: str) -> float:
        return median([t.first for t in getattr(self, path)])

    def total(self, path: str) -> float:
        return median([t.total for t in getattr(self, path)])

    def audio_seconds(self) -> float:
        return median([t.audio_bytes / BYTES_PER_SECOND for t in self.piper + self.bus])

    def paired(self) -> list[float]:
        """Per repetition: bus first audio - Piper's first audio."""
        return [b.first - p.first for p, b in zip(self.piper, self.bus, strict=True)]

    def added_first(self) -> float:
        return median(self.paired())

    def added_noise(self) -> float:
        """Standard error of ``added_first`` (robust: from the median absolute deviation)."""
        diffs = self.paired()
        mid = median(diffs)
        spread = 1.4826 * median([abs(d - mid) for d in diffs])
        return 1.2533 * spread / len(diffs) ** 0.5

    def outside_worker(self) -> float:
        """Bus first audio minus the worker's own time for that sentence (same request)."""
        return median([b.first - b.engine_seconds for b in self.bus])


@dataclass
class Results:
    overhead: dict[str, Runs] = field(default_factory=dict)
    scale_one: list[Timing] = field(default_factory=list)
    scale_two: list[Timing] = field(default_factory=list)
    lone_first: list[list[float]] = field(default_factory=list)
    """Per repetition, each client's first sentence alone."""
    together: list[list[Timing]] = field(default_factory=list)
    together_wall: list[float] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    """The parts that ran to the end."""


async def connect(
    url: str, name: str, workers: int, in_flight: int = 3, prefix: str = "voicebus"
) -> HubClient:
    settings = ClientSettings(nats_url=url, max_in_flight=in_flight, subject_prefix=prefix)
    hub = await HubClient.connect(settings, name)
    await wait_for_workers(hub, workers)
    await hub.wait_for_voice(VOICE)
    return hub


async def close_quietly(*hubs: HubClient) -> None:
    for hub in hubs:
        with contextlib.suppress(Exception):
            await hub.close()


# ---- 1. bus overhead -------------------------------------------------------------------


async def bench_overhead(stack: BenchStack, args: argparse.Namespace, results: Results) -> None:
    piper = load_piper(threads=2)
    cases = {"1 sentence": TEXTS[0][0], "10 sentences": " ".join(TEXTS[0])}
    runs = results.overhead = {name: Runs() for name in cases}
    reps = args.reps
    stack.start_worker(threads=2)
    hub = await connect(stack.url, "bench-overhead", workers=1)
    try:
        for text in cases.values():  # warm-up: both paths, both texts
            time_piper(piper, text)
            await time_stream(hub, text)
        for rep in range(ONE_SENTENCE_FACTOR * reps):
            for name, text in cases.items():
                if name == "10 sentences" and rep % ONE_SENTENCE_FACTOR:
                    continue  # the short case is cheap: more pairs, less noise
                await measure_pair(hub, piper, text, runs[name], bus_first=rep % 2 == 1)
    finally:
        await close_quietly(hub)
        stack.stop_workers()


async def measure_pair(
    hub: HubClient, piper: PiperVoice, text: str, runs: Runs, *, bus_first: bool
) -> None:
    """One Piper run and one bus run of ``text``, in the given order (it alternates)."""
    for path in ("bus", "piper") if bus_first else ("piper", "bus"):
        await sleep_briefly()
        if path == "bus":
            runs.bus.append(await time_stream(hub, text))
        else:
            runs.piper.append(time_piper(piper, text))


def report_overhead(results: Results, args: argparse.Namespace) -> None:
    runs, reps = results.overhead, args.reps
    print("\n[1] bus overhead: 1 worker (2 threads), max_in_flight 3, vs Piper in-process")
    print(f"    (2 threads); median of {ONE_SENTENCE_FACTOR * reps} (1 sentence), {reps} (10)")
    rows = []
    for name, case in runs.items():
        pf, bf = case.first("piper"), case.first("bus")
        pt, bt = case.total("piper"), case.total("bus")
        audio = f"{case.audio_seconds():.1f} s"
        rows.append([name, audio, ms(pf), ms(bf), ratio(bf / pf), ms(pt), ms(bt), ratio(bt / pt)])
    headers = ["text", "audio", "piper first", "bus first", "bus/piper"]
    print_table([*headers, "piper total", "bus total", "bus/piper"], rows)
    one = runs["1 sentence"]
    print(
        f"bus adds {one.added_first() * 1000:+.1f} ±{one.added_noise() * 1000:.1f} ms to first "
        f"audio (1 sentence; median of paired differences ± its standard error)"
    )
    print(
        f"bus first audio minus the worker's own time for that sentence: "
        f"{one.outside_worker() * 1000:.1f} ms (1 sentence), "
        f"{runs['10 sentences'].outside_worker() * 1000:.1f} ms (10 sentences)"
    )


# ---- 2. scale-out ----------------------------------------------------------------------

SOLO, PAIR = "bench-solo", "bench-pair"
"""Subject prefixes that keep the 1-worker and the 2-worker setup apart on one server."""


async def bench_scale(stack: BenchStack, args: argparse.Namespace, results: Results) -> None:
    """Both setups stay up (idle workers cost nothing) so their runs can alternate."""
    specs = [(SOLO, 0), (PAIR, 0), (PAIR, 1)]
    workers = stack.start_workers(
        [{"threads": 1, "cpu": cpu, "env": {"VOICEBUS_SUBJECT_PREFIX": p}} for p, cpu in specs]
    )
    solo = await connect(stack.url, "bench-solo", 1, args.in_flight, SOLO)
    pair = await connect(stack.url, "bench-pair", 2, args.in_flight, PAIR)
    text = paragraph(args.sentences)
    try:
        await warm_every_worker(solo, {workers[0].instance or ""})
        await warm_every_worker(pair, {w.instance or "" for w in workers[1:]})
        for _ in range(args.heavy_reps):
            await sleep_briefly()
            results.scale_one.append(await time_stream(solo, text))
            await sleep_briefly()
            results.scale_two.append(await time_stream(pair, text))
    finally:
        await close_quietly(solo, pair)
        stack.stop_workers()


async def warm_every_worker(hub: HubClient, instances: set[str], tries: int = 4) -> None:
    """Warm up until every worker served at least one sentence."""
    warmed: set[str] = set()
    for attempt in range(tries):
        timing = await time_stream(hub, paragraph(6, start=20 + 6 * attempt))
        warmed.update(timing.served_by)
        if instances <= warmed:
            return
    print(f"    note: workers {sorted(instances - warmed)} got no warm-up sentence")


def report_scale(results: Results, args: argparse.Namespace) -> None:
    pinned = "pinned one per core" if taskset_available() else "NOT pinned (no taskset)"
    print(f"\n[2] scale-out: {args.sentences} sentences, max_in_flight {args.in_flight}, workers")
    print(f"    with 1 thread each, {pinned}; median of {args.heavy_reps}")
    one = median([t.total for t in results.scale_one])
    rows = []
    for label, timings in (("1 worker", results.scale_one), ("2 workers", results.scale_two)):
        total = median([t.total for t in timings])
        first = median([t.first for t in timings])
        rows.append([label, ms(first), ms(total), ratio(one / total), split_of(timings)])
    print_table(["setup", "first audio", "total", "speed-up", "sentences per worker (busy)"], rows)
    busiest = median([max(Counter(t.served_by).values()) for t in results.scale_two])
    print(
        f"the busier worker made a median {busiest:g} of {args.sentences} sentences: that split "
        f"allows at most {args.sentences / busiest:.2f}x (the busy shares show idle time)"
    )


def split_of(timings: list[Timing]) -> str:
    """Per repetition, sentences per worker and the share of the run each worker was busy."""
    parts = []
    for timing in timings:
        busy = timing.busy_seconds()
        counts = Counter(timing.served_by).most_common()
        parts.append(
            "/".join(str(count) for _, count in counts)
            + " ("
            + "/".join(f"{busy.get(name, 0.0) / timing.total:.0%}" for name, _ in counts)
            + ")"
        )
    return ", ".join(parts)


# ---- 3. fairness -----------------------------------------------------------------------


async def bench_fairness(stack: BenchStack, args: argparse.Namespace, results: Results) -> None:
    stack.start_worker(threads=args.fair_threads, concurrency=args.fair_concurrency)
    hubs = [await connect(stack.url, f"bench-client-{i}", workers=1) for i in range(len(TEXTS))]
    try:
        await time_stream(hubs[0], " ".join(TEXTS[0][:3]))  # warm-up
        for _ in range(args.heavy_reps):  # lone and together alternate: same machine load
            results.lone_first.append(await lone_first_audio(hubs))
            await sleep_briefly()
            began = time.perf_counter()
            timings = await asyncio.gather(
                *(time_stream(hub, " ".join(text)) for hub, text in zip(hubs, TEXTS, strict=True))
            )
            results.together_wall.append(time.perf_counter() - began)
            results.together.append(list(timings))
    finally:
        await close_quietly(*hubs)
        stack.stop_workers()


async def lone_first_audio(hubs: list[HubClient]) -> list[float]:
    """Each client's first sentence alone: what its first audio costs with no competition."""
    firsts = []
    for index, hub in enumerate(hubs):
        await sleep_briefly()
        firsts.append((await time_stream(hub, TEXTS[index][0])).first)
    return firsts


def fairness_numbers(results: Results) -> tuple[float, float, float]:
    """(slowest first audio, lone first audio, wall time for all four), medians."""
    slowest = median([max(t.first for t in rep) for rep in results.together])
    lone = median([first for rep in results.lone_first for first in rep])
    return slowest, lone, median(results.together_wall)


def report_fairness(results: Results, args: argparse.Namespace) -> None:
    print(f"\n[3] fairness: {len(TEXTS)} clients, 10 sentences each, sent at once to 1 worker")
    print(
        f"    ({args.fair_threads} threads, concurrency {args.fair_concurrency}); median of "
        f"{args.heavy_reps}; lone = that client's first sentence alone"
    )
    rows = []
    for index in range(len(TEXTS)):
        lone = median([rep[index] for rep in results.lone_first])
        first = median([rep[index].first for rep in results.together])
        total = median([rep[index].total for rep in results.together])
        rows.append([f"client {index + 1}", ms(lone), ms(first), ratio(first / lone), ms(total)])
    print_table(["client", "lone first", "first (4 at once)", "vs lone", "total"], rows)
    slowest, lone, wall = fairness_numbers(results)
    print(f"slowest first audio {ms(slowest).strip()} vs lone {ms(lone).strip()}")
    print(f"all 4 texts done in {wall:.2f} s")


# ---- summary ---------------------------------------------------------------------------


def overhead_rows(results: Results) -> list[list[str]]:
    one, ten = results.overhead["1 sentence"], results.overhead["10 sentences"]
    added, noise, outside = one.added_first(), one.added_noise(), one.outside_worker()
    first_ratio = ten.first("bus") / one.first("piper")
    end_to_end = verdict(added < 0.005) + (" (noisy)" if noise > 0.0025 else "")
    return [
        [
            "bus adds to first audio, end to end",
            f"{added * 1000:+.1f} ±{noise * 1000:.1f} ms",
            "< 5 ms",
            end_to_end,
        ],
        [
            "bus adds to first audio, outside synthesis",
            f"{outside * 1000:.1f} ms",
            "< 5 ms",
            verdict(outside < 0.005),
        ],
        [
            "10-sentence first audio / Piper 1st sentence",
            ratio(first_ratio),
            "<= 1.3x",
            verdict(first_ratio <= 1.3),
        ],
    ]


def scale_rows(results: Results, sentences: int) -> list[list[str]]:
    one = median([t.total for t in results.scale_one])
    speedup = one / median([t.total for t in results.scale_two])
    label = f"2 workers vs 1 ({sentences} sentences)"
    return [[label, ratio(speedup), ">= 1.7x", verdict(speedup >= 1.7)]]


def fairness_rows(results: Results) -> list[list[str]]:
    slowest, lone, wall = fairness_numbers(results)
    worst = slowest / lone
    return [
        ["4 clients: slowest first audio / lone", ratio(worst), "<= 3x", verdict(worst <= 3)],
        ["4 clients: total time for all", f"{wall:.2f} s", "", ""],
    ]


def report_summary(results: Results, args: argparse.Namespace) -> None:
    rows = []
    if "1" in results.done:
        rows += overhead_rows(results)
    if "2" in results.done:
        rows += scale_rows(results, args.sentences)
    if "3" in results.done:
        rows += fairness_rows(results)
    print("\nsummary")
    print_table(["measure", "value", "target", ""], rows)


# ---- main ------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions of part 1")
    parser.add_argument("--heavy-reps", type=int, default=3, help="repetitions of parts 2, 3")
    parser.add_argument("--sentences", type=int, default=20, help="text length of part 2")
    parser.add_argument("--in-flight", type=int, default=4, help="max_in_flight of part 2")
    parser.add_argument("--fair-threads", type=int, default=2, help="worker threads, part 3")
    parser.add_argument("--fair-concurrency", type=int, default=1, help="worker slots, part 3")
    parser.add_argument("--parts", default="123", help="which parts to run, e.g. 13")
    return parser.parse_args()


Part = Callable[[BenchStack, argparse.Namespace, Results], Awaitable[None]]
Report = Callable[[Results, argparse.Namespace], None]
PARTS: dict[str, tuple[Part, Report]] = {
    "1": (bench_overhead, report_overhead),
    "2": (bench_scale, report_scale),
    "3": (bench_fairness, report_fairness),
}


async def run(stack: BenchStack, args: argparse.Namespace) -> Results:
    """Run the chosen parts; a part that fails with a bus error is reported and skipped."""
    results = Results()
    for name, (part, report) in PARTS.items():
        if name not in args.parts:
            continue
        with OutsideLoad() as load:
            try:
                await part(stack, args, results)
            except VoicebusError as error:
                print(f"\n[{name}] FAILED ({error.code.value}): {error}")
                continue
        results.done.add(name)
        report(results, args)
        print(load.note())
    return results


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up like on Ctrl-C
    began = time.monotonic()
    print(f"voicebus bus vs Piper in-process; {machine_note()}")
    if not taskset_available():
        print("taskset not found: scale-out workers are not pinned to cores")
    try:
        with BenchStack() as stack:
            results = asyncio.run(run(stack, args))
    except KeyboardInterrupt:
        print("\ninterrupted; engine workers and nats-server stopped", file=sys.stderr)
        return 130
    report_summary(results, args)
    print(f"\n(took {time.monotonic() - began:.0f} s)")
    failed = [name for name in PARTS if name in args.parts and name not in results.done]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
