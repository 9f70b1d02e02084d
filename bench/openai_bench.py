"""What the OpenAI REST adapter costs: its answers against Piper called in-process.

Run it (about a minute and a half on an idle 2-core machine; it starts its own nats-server,
one Piper engine worker and the adapter process on free ports, and stops them at the end,
also on Ctrl-C)::

    .venv/bin/python bench/openai_bench.py            # 5 repetitions after a warm-up
    .venv/bin/python bench/openai_bench.py --reps 9   # steadier medians

For a 1-sentence and a 10-sentence text it measures, as medians over repetitions:

* Piper in this process (``PiperVoice.synthesize``, 2 onnxruntime threads, one chunk per
  sentence): time to the first sentence's audio and to the end;
* the bus alone (``HubClient.open``, as the adapter uses it): first PCM and end;
* ``POST /v1/audio/speech`` through the official ``openai`` SDK (``AsyncOpenAI`` with
  ``with_streaming_response``), for ``pcm`` and ``mp3``: first body byte and end.

The engine worker also runs Piper with 2 threads. Targets: the adapter's first byte within
1.3x of Piper's first-sentence time, and an mp3 answer's total within 1.15x of the pcm
answer's total. Methods take turns within each repetition so drift hits them alike; the
best (fastest) run of each is printed too, as on a shared machine it shows the intrinsic
cost better than the median.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx2
from common import (
    VOICE,
    BenchStack,
    Timing,
    free_port,
    load_piper,
    machine_note,
    median,
    ms,
    paragraph,
    print_table,
    ratio,
    sentences,
    sleep_briefly,
    time_piper,
    time_stream,
    verdict,
)
from openai import AsyncOpenAI
from piper import PiperVoice

from hub.client import ClientSettings, HubClient

THREADS = 2
FORMATS = ("pcm", "mp3")


class AdapterProcess:
    """``voicebus adapter openai`` in its own process, as deployed."""

    def __init__(self, nats_url: str, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / "adapter-openai.log"
        env = {**os.environ, "VOICEBUS_OPENAI_ACCESS_LOG": "false"}
        command = [sys.executable, "-m", "hub.cli", "--log-level", "WARNING", "adapter"]
        command += ["openai", "--nats-url", nats_url, "--port", str(self.port)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    async def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx2.AsyncClient() as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"adapter exited:\n{self.log_path.read_text()}")
                try:
                    if (await http.get(f"{self.url}/health")).status_code == 200:
                        return
                except httpx2.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"adapter not healthy:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def time_rest(client: AsyncOpenAI, text: str, fmt: str) -> Timing:
    """First body byte and end of one answer, through the official SDK."""
    began = time.perf_counter()
    first: float | None = None
    size = 0
    async with client.audio.speech.with_streaming_response.create(
        model="tts-1",
        voice="alloy",
        input=text,
        response_format=fmt,  # type: ignore[arg-type]
    ) as response:
        async for chunk in response.iter_bytes():
            if first is None and chunk:
                first = time.perf_counter() - began
            size += len(chunk)
    total = time.perf_counter() - began
    return Timing(first or total, total, size)


def texts(count: int, reps: int) -> list[str]:
    """One text per repetition (plus the warm-up), all of ``count`` sentences."""
    if count == 1:
        return sentences(reps + 1)
    return [paragraph(count, start=index * count) for index in range(reps + 1)]


async def measure(
    piper: PiperVoice, hub: HubClient, client: AsyncOpenAI, count: int, reps: int
) -> dict[str, list[Timing]]:
    results: dict[str, list[Timing]] = defaultdict(list)
    for index, text in enumerate(texts(count, reps)):
        rounds: list[tuple[str, Timing]] = [
            ("piper", await asyncio.to_thread(time_piper, piper, text))
        ]
        await sleep_briefly()
        rounds.append(("bus", await time_stream(hub, text, VOICE)))
        for fmt in FORMATS:
            await sleep_briefly()
            rounds.append((f"rest {fmt}", await time_rest(client, text, fmt)))
        if index == 0:
            continue  # warm-up
        for name, timing in rounds:
            results[name].append(timing)
    return results


def report(count: int, results: dict[str, list[Timing]]) -> tuple[float, float]:
    """Print medians (and the best run, less sensitive to a busy machine); return ratios."""
    piper_first = median([t.first for t in results["piper"]])
    rows = []
    for name, timings in results.items():
        first = median([t.first for t in timings])
        total = median([t.total for t in timings])
        best = min(t.first for t in timings), min(t.total for t in timings)
        rows.append(
            [name, ms(first), ms(total), ratio(first / piper_first), ms(best[0]), ms(best[1])]
        )
    print(f"\n{count}-sentence text, medians of {len(results['piper'])} runs")
    headers = ["method", "first audio", "total", "first / piper first", "best first", "best total"]
    print_table(headers, rows)
    worst_first = max(median([t.first for t in results[f"rest {fmt}"]]) for fmt in FORMATS)
    mp3_total = median([t.total for t in results["rest mp3"]])
    pcm_total = median([t.total for t in results["rest pcm"]])
    return worst_first / piper_first, mp3_total / pcm_total


async def run(reps: int) -> None:
    print(f"machine: {machine_note()}")
    piper = load_piper(THREADS)
    with BenchStack() as stack:
        stack.start_worker(threads=THREADS)
        adapter = AdapterProcess(stack.url, stack.log_dir)
        try:
            await adapter.wait_healthy()
            async with await HubClient.connect(ClientSettings(nats_url=stack.url)) as hub:
                await hub.wait_for_voice(VOICE)
                client = AsyncOpenAI(base_url=f"{adapter.url}/v1", api_key="bench", max_retries=0)
                summary = []
                for count in (1, 10):
                    results = await measure(piper, hub, client, count, reps)
                    first_ratio, mp3_ratio = report(count, results)
                    summary.append((count, first_ratio, mp3_ratio))
                await client.close()
        finally:
            adapter.stop()
    print("\nsummary")
    for count, first_ratio, mp3_ratio in summary:
        print(
            f"  {count:2d} sentence(s): first byte {ratio(first_ratio)} of Piper's first "
            f"sentence (target <= 1.30x) {verdict(first_ratio <= 1.3)}; "
            f"mp3 total {ratio(mp3_ratio)} of pcm total (target <= 1.15x) "
            f"{verdict(mp3_ratio <= 1.15)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions after a warm-up")
    args = parser.parse_args()
    asyncio.run(run(args.reps))


if __name__ == "__main__":
    main()
