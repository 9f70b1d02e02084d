"""A Piper worker's resident memory through a run of ordinary and hostile texts.

    .venv/bin/python bench/piper_memory.py

One real ``voicebus engine piper`` worker (2 threads) on a private nats-server; after each
text (the hostile ones below, then every text of the REST fuzz corpus,
``tests/corpus_texts.py``) its resident set (VmRSS) and peak (VmHWM) are read from /proc.
The bound to hold (docs/engines.md): under 400 MB after any request; the peak while making a
piece reaches about 650 MB (400 numbers). Exits 1 on a MISS.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import BenchStack, paragraph, print_table, verdict

from hub.client import ClientSettings, HubClient
from hub.contract.errors import VoicebusError
from tests.corpus_texts import corpus_texts

BOUND_MB = 400
TEXTS = [
    ("one sentence", "Hello there, this is a short sentence."),
    ("ten sentences", paragraph(10)),
    ("4000-char run-on, no punctuation", " ".join(["word"] * 800)),
    ("long words", " ".join(["supercalifragilistic"] * 150)),
    ("numbers", " ".join(str(n) for n in range(400))),
    ("one sentence again", "Hello there, this is a short sentence."),
]


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def run(stack: BenchStack, pid: int) -> list[list[str]]:
    hub = await HubClient.connect(ClientSettings(nats_url=stack.url), "bench-memory")
    try:
        await hub.wait_for_voice("en_US-joe-medium")
        rss, _ = memory_mb(pid)
        rows = [["start", f"{rss:.0f}", "", ""]]
        start = worst = rss
        corpus = [(f"corpus: {text[:24]!r} ({len(text)} chars)", text) for text in corpus_texts()]
        for name, text in TEXTS + corpus:
            await speak(hub, text)
            rss, peak = memory_mb(pid)
            worst = max(worst, rss)
            rows.append([name, f"{rss:.0f}", f"{peak:.0f}", f"{rss - start:+.0f}"])
        rows.append(["bound", f"< {BOUND_MB}", "", verdict(worst < BOUND_MB)])
        return rows
    finally:
        await hub.close()


async def speak(hub: HubClient, text: str) -> None:
    """Synthesize ``text`` whole; a typed refusal (empty, another script) is fine here."""
    try:
        stream = await hub.open(text)
        async for _ in stream:
            pass
    except VoicebusError:
        pass


def main() -> int:
    with BenchStack() as stack:
        worker = stack.start_worker(threads=2)
        assert worker.process is not None
        rows = asyncio.run(run(stack, worker.process.pid))
    print("Piper worker memory (MB) after each text")
    print_table(["text", "resident", "peak so far", "vs start"], rows)
    return 0 if rows[-1][-1] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
