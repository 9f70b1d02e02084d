"""What the Slack adapter adds: ``/say`` from the signed command to the completed upload,
against the hub's own synthesis of the same file.

Run it (about a minute on an idle 2-core machine; it starts its own nats-server, one Piper
worker, a local mock of Slack's Web API and ``voicebus adapter slack`` on free ports, and
stops them at the end, also on Ctrl-C)::

    .venv/bin/python bench/slack_bench.py            # 5 repetitions after a warm-up
    .venv/bin/python bench/slack_bench.py --reps 9

For a 1-sentence and a 10-sentence text, medians over repetitions, side by side:

* the hub alone: ``HubClient.open(text, VOICE, output=AudioSpec("mp3"))`` read to the end
  (what the adapter asks the hub for);
* ``/say --voice VOICE text`` over HTTP, signed like Slack signs it: the time until the mock
  saw ``files.completeUploadExternal``, its ratio to the hub's own mp3 time, and the ack.
  The upload goes to loopback, so it costs next to nothing here; over the internet add the
  upload of the file's size.

A second table says where ``/say``'s time went: the adapter logs its own hub time per ``/say``
("adapter's synth"), so the end-to-end time splits into synthesis and Slack handling
("handling": signature check, Bolt, cleaning, the voice lookup in KV and the three upload
calls), plus the hub as PCM for reference. Target: handling under 0.3 s plus the upload, and
the ack well inside Slack's 3 s. "say - hub mp3" compares against the bench's own hub client
instead; on a busy machine the two processes' synthesis times differ by more than the
handling, so read it with the machine note. Methods take turns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx2
from common import (
    VOICE,
    BenchStack,
    free_port,
    machine_note,
    median,
    ms,
    paragraph,
    print_table,
    ratio,
    time_stream,
    verdict,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' Slack mock

from hub.audio import AudioSpec
from hub.client import ClientSettings, HubClient
from tests.adapters.slack.mock_slack import BOT_TOKEN, MockSlack
from tests.adapters.slack.support import SIGNING_SECRET, command_body, headers_for

OVERHEAD_TARGET = 0.3
_POSTED = re.compile(r"posted \d+ bytes of \S+ speech to \S+ in ([0-9.]+) s")
TEXTS = {"1 sentence": paragraph(1), "10 sentences": paragraph(10, start=10)}


async def time_mp3(hub: HubClient, text: str) -> float:
    began = time.perf_counter()
    stream = await hub.open(text, VOICE, output=AudioSpec("mp3"))
    async with stream:
        async for _ in stream:
            pass
    return time.perf_counter() - began


async def time_say(
    http: httpx2.AsyncClient, url: str, mock: MockSlack, text: str
) -> tuple[float, float, float]:
    """(ack, command to completed upload, upload steps) seconds for one ``/say``."""
    done = len(mock.of("files.completeUploadExternal"))
    body = command_body("/say", f"--voice {VOICE} {text}", mock)  # the voice the hub is timed with
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers_for(body)}
    began = time.perf_counter()
    answer = await http.post(url, content=body, headers=headers)
    ack = time.perf_counter() - began
    if answer.status_code != 200:
        raise RuntimeError(f"/say answered {answer.status_code}: {answer.text}")
    calls = await mock.wait_for("files.completeUploadExternal", done + 1, timeout=120)
    asked = mock.of("files.getUploadURLExternal")[-1].at
    return ack, calls[-1].at - began, calls[-1].at - asked


def start_adapter(stack: BenchStack, mock: MockSlack, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "VOICEBUS_CONFIG": "", "VOICEBUS_NATS_URL": stack.url,
        "VOICEBUS_SLACK_BOT_TOKEN": BOT_TOKEN, "VOICEBUS_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "VOICEBUS_SLACK_API_URL": mock.api_url, "VOICEBUS_SLACK_PORT": str(port),
        "VOICEBUS_SLACK_RATE_LIMIT": "100000", "VOICEBUS_SLACK_VOICE_BUCKET": "bench-voices",
    }  # fmt: skip
    log = (stack.log_dir / "slack-adapter.log").open("wb")
    command = [sys.executable, "-m", "hub.cli", "adapter", "slack"]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


async def wait_listening(http: httpx2.AsyncClient, url: str, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while True:
            try:
                await http.post(url, content=b"")
                return
            except httpx2.TransportError:
                await asyncio.sleep(0.2)


async def measure(stack: BenchStack, reps: int) -> dict[tuple[str, str], list[float]]:
    mock = await MockSlack().start()
    port = free_port()
    adapter = start_adapter(stack, mock, port)
    url = f"http://127.0.0.1:{port}/slack/events"
    results: dict[tuple[str, str], list[float]] = defaultdict(list)
    try:
        async with (
            await HubClient.connect(ClientSettings(nats_url=stack.url), "bench") as hub,
            httpx2.AsyncClient(timeout=30) as http,
        ):
            await hub.wait_for_voice(VOICE)
            await wait_listening(http, url)
            for rep in range(reps + 1):  # the first round warms up
                for name, text in TEXTS.items():
                    if rep % 2:  # take turns, so drift and warm-up hit both alike
                        ack, upload_done, upload = await time_say(http, url, mock, text)
                    pcm = (await time_stream(hub, text)).total
                    mp3 = await time_mp3(hub, text)
                    if not rep % 2:
                        ack, upload_done, upload = await time_say(http, url, mock, text)
                    if rep:
                        for key, value in (("pcm", pcm), ("mp3", mp3), ("ack", ack),
                                           ("say", upload_done), ("upload", upload)):  # fmt: skip
                            results[(name, key)].append(value)
    finally:
        adapter.terminate()
        adapter.wait(15)
        await mock.stop()
    add_adapter_synthesis(results, (stack.log_dir / "slack-adapter.log").read_text())
    return results


def add_adapter_synthesis(results: dict[tuple[str, str], list[float]], log: str) -> None:
    """The adapter's own hub time per /say (its log line "posted ... in X s + Y s upload"),
    so the table can split the end-to-end time into synthesis and Slack handling."""
    seconds = [float(found) for found in _POSTED.findall(log)]
    names = list(TEXTS)
    for index, value in enumerate(seconds[len(names) :]):  # skip the warm-up round
        results[(names[index % len(names)], "adapter")].append(value)


def report(results: dict[tuple[str, str], list[float]], pick: Callable[..., float]) -> None:
    """The headline side by side (the hub's own mp3 synthesis, /say to the completed
    upload, their ratio, the ack), then where /say's time went."""
    headline, detail = [], []
    for name in TEXTS:
        keys = ("pcm", "mp3", "ack", "say", "upload", "adapter")
        m = {key: pick(results[(name, key)] or [float("nan")]) for key in keys}
        handling = m["say"] - m["adapter"]
        headline.append([
            name, ms(m["mp3"]), ms(m["say"]), ratio(m["say"] / m["mp3"]), ms(m["ack"]),
            verdict(handling < OVERHEAD_TARGET and m["ack"] < 1.0),
        ])  # fmt: skip
        detail.append([
            name, ms(m["pcm"]), ms(m["adapter"]), ms(handling), ms(m["upload"]),
            ms(m["say"] - m["mp3"]),
        ])  # fmt: skip
    print_table(
        ["text", "hub mp3", "/say->uploaded", "/say / hub mp3", "/say ack",
         f"handling < {OVERHEAD_TARGET}s, ack < 1s"],
        headline,
    )  # fmt: skip
    print_table(
        ["text", "hub pcm", "adapter's synth", "handling (say-synth)", "upload steps",
         "say - hub mp3"],
        detail,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    print(machine_note())
    with BenchStack() as stack:
        stack.start_worker(threads=2)
        results = asyncio.run(measure(stack, args.reps))
    print(f"medians of {args.reps} runs (1 warm-up), one Piper worker with 2 threads")
    report(results, median)
    print("best (fastest) run of each, closer to the intrinsic cost on a shared machine")
    report(results, min)


if __name__ == "__main__":
    main()
