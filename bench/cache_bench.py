"""What the audio cache saves: a 1-sentence REST answer from the cache against one made by
the engine, side by side.

Run it (about half a minute on an idle 2-core machine; it starts its own nats-server, one
Piper engine worker and the OpenAI adapter process on free ports, with the cache on a
bucket of its own, and stops them at the end, also on Ctrl-C)::

    .venv/bin/python bench/cache_bench.py             # 15 repetitions after a warm-up
    .venv/bin/python bench/cache_bench.py --reps 41   # steadier medians

For one sentence answered as ``pcm`` through ``POST /v1/audio/speech`` (httpx, one kept-
alive connection, as an SDK client has), it measures the whole answer's time for:

* ``miss``: the same sentence with ``"cache": false`` (the engine makes it every time);
* ``hit``: the sentence served from the cache (the ``X-Voicebus-Cache`` header is checked);
* ``hit mp3``: the same hit answered as mp3 (the cached PCM encoded at the edge).

Targets (from the issue): a hit under 25 ms in total, and at least 10x faster than a miss.
Methods take turns within each repetition so drift hits them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections import defaultdict

import httpx2
from common import BenchStack, machine_note, median, ms, print_table, ratio, verdict
from openai_bench import AdapterProcess

VOICE = "en_US-joe-medium"
SENTENCE = "The lighthouse keeper counted seven ships before dawn."
HIT_TARGET = 0.025
SPEEDUP_TARGET = 10.0


async def answer(http: httpx2.AsyncClient, expected: str, **fields: object) -> float:
    body = {"model": "tts-1", "voice": VOICE, "input": SENTENCE, "response_format": "pcm"}
    started = time.perf_counter()
    response = await http.post("/v1/audio/speech", json=body | fields)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    state = response.headers["x-voicebus-cache"]
    if state != expected or len(response.content) < 4000:
        raise RuntimeError(f"expected a {expected} with audio, got {state}")
    return elapsed


async def measure(url: str, reps: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)
    async with httpx2.AsyncClient(base_url=url, timeout=60) as http:
        await answer(http, "miss")  # warm-up; stores the clip
        await answer(http, "hit")
        await answer(http, "miss", cache=False)
        for _ in range(reps):
            times["miss"].append(await answer(http, "miss", cache=False))
            times["hit"].append(await answer(http, "hit"))
            times["hit mp3"].append(await answer(http, "hit", response_format="mp3"))
    return times


async def main(reps: int) -> int:
    os.environ["VOICEBUS_CACHE_ENABLED"] = "true"
    os.environ["VOICEBUS_CACHE_BUCKET"] = f"bench-cache-{uuid.uuid4().hex[:8]}"
    with BenchStack() as stack:
        stack.start_worker(threads=2)
        adapter = AdapterProcess(stack.url, stack.log_dir)
        try:
            await adapter.wait_healthy()
            times = await measure(adapter.url, reps)
        finally:
            adapter.stop()
    miss, hit = median(times["miss"]), median(times["hit"])
    rows = [
        [name, ms(median(values)), ms(min(values)), ratio(miss / median(values))]
        for name, values in times.items()
    ]
    print(f"\nOne sentence over REST as pcm, {reps} repetitions; {machine_note()}")
    print_table(["answer", "median", "best", "miss / this"], rows)
    fast = hit <= HIT_TARGET
    speedup = miss / hit >= SPEEDUP_TARGET
    print(f"\nhit under {ms(HIT_TARGET)}: {verdict(fast)} ({ms(hit)})")
    print(f"hit at least {SPEEDUP_TARGET:.0f}x faster than a miss: {verdict(speedup)}")
    return 0 if fast and speedup else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=15, help="repetitions after a warm-up")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.reps)))
