"""A live request's first audio while 4 batch jobs run, against a lone request's.

Run it (about a minute on an idle 2-core machine; it starts its own nats-server and one
Piper engine worker on free ports, and stops them at the end, also on Ctrl-C)::

    .venv/bin/python bench/jobs_bench.py            # 7 live requests per phase
    .venv/bin/python bench/jobs_bench.py --reps 15  # steadier medians

Phases, one after the other on the same worker (2 onnxruntime threads, its default
concurrency): the first audio of a 1-sentence live request (``interactive`` class, as REST
sends) alone; then the same while a job runner in this process works on 4 long jobs
(``batch`` class, 2 sentences of each in flight, so 8 batch sentences wait on the worker).
The jobs are cancelled at the end. Target once engines serve by priority class: the live
first audio within 1.5x of the lone one (a live request then waits for at most the
sentence in progress). Without class scheduling it waits behind the queued batch work.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from common import VOICE, BenchStack, median, ms, paragraph, ratio, verdict

from hub.client import ClientSettings, HubClient
from hub.jobs import JobRunner, Jobs, JobSettings, JobSpec

LIVE = "Your table for two is ready now."
JOBS = 4


async def first_audio(hub: HubClient, text: str) -> float:
    began = time.perf_counter()
    stream = await hub.open(text, VOICE)
    async with stream:
        async for _ in stream:
            return time.perf_counter() - began
    return time.perf_counter() - began


async def live_firsts(hub: HubClient, reps: int) -> list[float]:
    return [await first_audio(hub, LIVE) for _ in range(reps)]


async def run(reps: int, url: str) -> None:
    settings = JobSettings(bucket=f"bench-{uuid.uuid4().hex[:6]}", runners=JOBS)
    hub = await HubClient.connect(ClientSettings(nats_url=url), "jobs-bench")
    try:
        await hub.wait_for_voice(VOICE)
        await live_firsts(hub, 2)  # warm-up
        lone = await live_firsts(hub, reps)
        jobs = Jobs(hub, settings)
        runner = JobRunner(hub, await jobs.store(), settings)
        stop = asyncio.Event()
        running = asyncio.create_task(runner.run(stop))
        spec = JobSpec(voice=VOICE, response_format="wav")
        submitted = [
            await jobs.submit([paragraph(40, start=i * 10)], spec, requested_voice=VOICE)
            for i in range(JOBS)
        ]
        while len(runner.active) < JOBS:  # every job has its sentences on the worker
            await asyncio.sleep(0.05)
        busy = await live_firsts(hub, reps)
        states = [await jobs.get(job.id) for job in submitted]
        still = sum(not state.status.finished for state in states)
        for job in submitted:
            await jobs.cancel(job.id)
        stop.set()
        await running
    finally:
        await hub.close()
    done = sum(state.progress.done for state in states)
    print(f"live request: {LIVE!r} (1 sentence), {reps} reps per phase")
    print(f"batch: {JOBS} jobs of 40 sentences; {done} sentences made, {still} still running")
    print(f"  lone     first audio median {ms(median(lone))}  best {ms(min(lone))}")
    print(f"  4 jobs   first audio median {ms(median(busy))}  best {ms(min(busy))}")
    factor = median(busy) / median(lone)
    print(f"  ratio    {ratio(factor)}  (target <= 1.5x)  {verdict(factor <= 1.5)}")
    if factor > 1.5:
        print("  (engines that do not serve by priority class make the live request wait")
        print("   behind the batch sentences already queued on the worker)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reps", type=int, default=7, help="live requests per phase")
    args = parser.parse_args()
    with BenchStack() as stack:
        stack.start_worker(threads=2)
        asyncio.run(run(args.reps, stack.url))


if __name__ == "__main__":
    main()
