"""A real `voicebus up` (nats-server, Piper workers, the OpenAI adapter) and a load of
distinct texts against it, each answer sorted into what the client saw: whole and its own
words, a typed error, a cut body, short, mixed or hung. Used by the fault tests and by
``bench/fault_bench.py``."""

from __future__ import annotations

import base64
import concurrent.futures
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers import STORY, free_port, transcribe, word_error_rate

NATS_PID = r"nats-server listening on \S+ \(pid (\d+)"
WORKER_PID = r"started engine piper #\d+ \(pid (\d+)\)"


class Up:
    """``voicebus up`` with ``workers`` Piper workers and the OpenAI adapter, logging to a file."""

    def __init__(self, workdir: Path, workers: int = 1) -> None:
        self.http_port, self.nats_port = free_port(), free_port()
        self.log_path = workdir / "up.log"
        command = [
            sys.executable, "-m", "hub.cli", "up", "--nats-port", str(self.nats_port),
            "--data-dir", str(workdir / "data"), "--workers", str(workers), "--threads", "2",
            "--adapter", "openai", "--set", f"openai.port={self.http_port}",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "VOICEBUS_CONFIG": ""},
            )  # fmt: skip
        self.wait_for_workers(workers)

    def wait_for_workers(self, workers: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"voicebus up exited early\n{self.log()}"
            if self.warm_workers() >= workers:
                return
            time.sleep(0.3)
        raise TimeoutError(f"voicebus up did not get {workers} warm workers\n{self.log()}")

    def warm_workers(self) -> int:
        """Warm engine workers as ``/health`` reports them (0 while it cannot answer)."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                engines = json.loads(response.read())["engines"]
        except (OSError, ValueError, KeyError):
            return 0
        return sum(engine["warm"] for engine in engines)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self, pattern: str) -> list[int]:
        return [int(pid) for pid in re.findall(pattern, self.log())]

    def _post(self, text: str, **extra: str) -> http.client.HTTPResponse:
        # never from the audio cache: every answer is made by a worker, under the fault
        body = {
            "model": "tts-1", "voice": "alloy", "input": text, "response_format": "pcm",
            "cache": False,
        }  # fmt: skip
        request = urllib.request.Request(
            f"{self.url}/v1/audio/speech",
            data=json.dumps(body | extra).encode(),
            headers={"Content-Type": "application/json"},
        )
        return urllib.request.urlopen(request, timeout=30)  # type: ignore[no-any-return]

    def speak(self, text: str, **extra: str) -> bytes:
        """The whole raw PCM body; HTTPError or IncompleteRead (a cut body) otherwise."""
        with self._post(text, **extra) as response:
            return response.read()  # type: ignore[no-any-return]

    def speak_sse(self, text: str) -> tuple[bytes, dict[str, Any] | None]:
        """The PCM of the deltas and the error event's ``error`` (None if it ended done)."""
        pcm = bytearray()
        with self._post(text, stream_format="sse") as response:
            for line in response:
                if not line.startswith(b"data: "):
                    continue
                event = json.loads(line[6:])
                if event["type"] == "speech.audio.delta":
                    pcm += base64.b64decode(event["audio"])
                elif event["type"] == "error":
                    return bytes(pcm), event["error"]
                elif event["type"] == "speech.audio.done":
                    return bytes(pcm), None
        return bytes(pcm), {"code": "no_end", "message": "the stream ended without done or error"}


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def distinct_texts(count: int) -> list[str]:
    """``count`` different three-sentence texts: a swapped sentence shows in the words."""
    n = len(STORY)
    return [
        f"{STORY[i % n]} {STORY[(i + 1 + i // n) % n]} {STORY[(i + 5) % n]}" for i in range(count)
    ]


@dataclass
class Outcome:
    text: str
    kind: str
    """whole, error (typed, with its code), cut (a raw body without its end), short, hung"""
    pcm: bytes = b""
    detail: str = ""


def one_answer(up: Up, text: str, sse: bool) -> Outcome:
    """What the client saw for ``text``: whole (to be checked), error or cut."""
    try:
        if sse:
            pcm, error = up.speak_sse(text)
            if error is not None:
                return Outcome(text, "error", pcm, f"{error.get('code')}: {error.get('message')}")
            return Outcome(text, "whole", pcm)
        return Outcome(text, "whole", up.speak(text))
    except urllib.error.HTTPError as failure:
        try:
            error = json.loads(failure.read())["error"]
            detail = f"{failure.code} {error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            detail = f"{failure.code} untyped"
        return Outcome(text, "error", detail=detail)
    except http.client.IncompleteRead as cut:
        return Outcome(text, "cut", cut.partial, "raw body cut before its end")
    except OSError as failure:
        return Outcome(text, "error", detail=f"connection: {failure}")


@dataclass
class Recovery:
    restarted: float | None
    """Seconds from the fault until ``back()`` held (the killed part running again)."""
    served: float | None
    """Seconds from then until a new request first succeeded."""


def under_load(
    up: Up,
    texts: list[str],
    fault: Callable[[], None],
    after: float,
    back: Callable[[], bool] = lambda: True,
    timeout: float = 120,
) -> tuple[list[Outcome], Recovery]:
    """Every text at once (every second one as SSE); ``fault`` runs ``after`` seconds in.
    Returns the outcomes (``hung`` for answers not in by ``timeout``) and the recovery
    (None for a step that did not happen within ``timeout``)."""
    with concurrent.futures.ThreadPoolExecutor(len(texts) + 1) as pool:
        futures = [pool.submit(one_answer, up, text, i % 2 == 1) for i, text in enumerate(texts)]
        time.sleep(after)
        fault()
        fault_time = time.monotonic()
        back_at = pool.submit(first_time, back, timeout)
        served_at = pool.submit(first_success, up, timeout)
        done, _ = concurrent.futures.wait(futures, timeout=timeout)
        outcomes = [
            future.result() if future in done else Outcome(text, "hung")
            for future, text in zip(futures, texts, strict=True)
        ]
        back_time, served = back_at.result(), served_at.result()
    if back_time is None:
        return outcomes, Recovery(None, None)
    return outcomes, Recovery(
        back_time - fault_time, None if served is None else max(0.0, served - back_time)
    )


def first_time(condition: Callable[[], bool], timeout: float) -> float | None:
    """When ``condition()`` first held (monotonic), polled every 50 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.05)
    return None


def first_success(up: Up, timeout: float) -> float | None:
    """When a new one-sentence request first succeeded (monotonic), tried again and again.
    It asks for the realtime class, so it measures the service being back, not the backlog
    of the load in the queue ahead of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            up.speak("Back again.", priority="realtime")
            return time.monotonic()
        except (urllib.error.HTTPError, http.client.HTTPException, OSError):
            time.sleep(0.2)
    return None


def check_whole(outcome: Outcome, expected_seconds: float, whisper: Any, rate: int = 24000) -> str:
    """``whole`` if the answer has its length (within 5 % of before) and its own words,
    else ``short`` or ``mixed`` with why."""
    seconds = len(outcome.pcm) / 2 / rate
    if abs(seconds - expected_seconds) > 0.05 * expected_seconds:
        return f"short: {seconds:.2f} s, {expected_seconds:.2f} s before the fault"
    heard = transcribe(whisper, outcome.pcm, rate)
    if word_error_rate(outcome.text, heard) > 0.25:
        return f"mixed: heard {heard!r}"
    return "whole"


def durations(up: Up, texts: list[str], runs: int = 2) -> dict[str, float]:
    """Each text's duration before any fault: the mean of ``runs`` syntheses (Piper's noise
    moves a three-sentence text by a few per cent from one run to the next)."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        pcms = list(pool.map(up.speak, [text for text in texts for _ in range(runs)]))
    seconds = [len(pcm) / 2 / 24000 for pcm in pcms]
    return {text: sum(seconds[i * runs : (i + 1) * runs]) / runs for i, text in enumerate(texts)}
