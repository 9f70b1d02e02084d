"""Helpers shared by the bench scripts: a private nats-server, engine worker processes,
stream timing, sample texts and a small table printer.

Import it from a script run as ``python bench/<script>.py`` (the script's folder is then on
``sys.path``)::

    from common import BenchStack, time_stream

    with BenchStack() as stack:         # nats-server on a free port, in a temp dir
        stack.start_worker(threads=2)   # `voicebus engine piper`, waits until serving
        settings = ClientSettings(nats_url=stack.url)
        ...
    # every worker and the nats-server are stopped here, also on Ctrl-C or an error
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from piper import PiperVoice

from engines.piper.engine import bundled_voice_files, load_voice
from hub.client import HubClient
from hub.process.natsserver import NatsServer

# Every bench measures synthesis, so the audio cache (on by default) must not answer its
# repeated sentences, in this process or in the processes it starts (they inherit the
# variable); bench/cache_bench.py turns the cache on for itself.
os.environ["VOICEBUS_CACHE_ENABLED"] = "false"

VOICE = "en_US-joe-medium"
_SERVING = re.compile(r" as (\S+-[0-9a-f]{8})")

# ---- sample texts --------------------------------------------------------------------

# Four assistant-style answers, ten sentences of 10 to 20 words each.
TEXTS: tuple[tuple[str, ...], ...] = (
    (
        "Sure, here is a quick summary of your day before you head out this morning.",
        "You have three meetings on your calendar, and the first one starts at nine thirty.",
        "The weather should stay dry until the afternoon, when light rain is expected to move in.",
        "I would take an umbrella, since the rain may continue into the evening commute.",
        "Traffic on the main road into town is heavier than usual because of roadworks nearby.",
        "Leaving ten minutes earlier than normal should still get you there with time to spare.",
        "Your package from the hardware store is out for delivery and should arrive before noon.",
        "I also noticed that your dentist appointment has been moved to Thursday at four.",
        "Would you like me to add a reminder for that appointment on the day before?",
        "Finally, the recycling collection is tomorrow, so the blue bin needs to go out tonight.",
    ),
    (
        "Here is a simple recipe for a vegetable soup that takes about forty minutes.",
        "Start by chopping two onions, three carrots and a couple of celery sticks into pieces.",
        "Warm a spoonful of olive oil in a large pot over a medium heat.",
        "Add the onions first and let them soften for five minutes, stirring now and then.",
        "Then add the carrots and celery, and cook for another five minutes until they brown.",
        "Pour in a litre of vegetable stock and bring everything gently to the boil.",
        "Add a tin of chopped tomatoes, a bay leaf and a good pinch of salt and pepper.",
        "Let the soup simmer for about twenty minutes, until the carrots are completely tender.",
        "If you prefer a smooth texture, blend half of the soup and stir it back in.",
        "Serve it hot with fresh bread, and keep any leftovers in the fridge for three days.",
    ),
    (
        "It sounds like your laptop is not connecting to the home network after the update.",
        "First, check that airplane mode is turned off in the network settings panel.",
        "Next, open the list of available networks and see whether your router appears there.",
        "If it does, forget the saved password, and then join again with the correct one.",
        "If the network is missing, try restarting the router by unplugging it for thirty seconds.",
        "Wait until all of the lights on the router are steady before you try to connect again.",
        "Some updates reset the network drivers, so a full restart of the laptop can also help.",
        "You can also run the network troubleshooter, which often fixes common problems by itself.",
        "If none of this works, a cable connection will tell us whether the router is at fault.",
        "Let me know what you see after trying these steps, and we can go from there.",
    ),
    (
        "The old lighthouse on the northern cliffs was built more than two hundred years ago.",
        "It guided fishing boats into the harbour through fog, storms and long winter nights.",
        "For most of its history a single keeper lived there with his family all year round.",
        "The light was automated forty years ago, and the last keeper moved back to the village.",
        "Today the building is a small museum run by volunteers from the local history society.",
        "Visitors can climb the spiral staircase to the lamp room and enjoy views across the bay.",
        "On a clear day you can see the islands to the west and sometimes seals on the rocks.",
        "The museum is open from April to October, every day except Monday, from ten until five.",
        "Tickets are cheap, and children under twelve can visit for free with an adult.",
        "If you go, bring a warm jacket, because the wind at the top can be surprisingly strong.",
    ),
)


def sentences(count: int, start: int = 0) -> list[str]:
    """``count`` sentences from the sample texts, starting at ``start`` (wrapping around)."""
    flat = [sentence for text in TEXTS for sentence in text]
    return [flat[(start + i) % len(flat)] for i in range(count)]


def paragraph(count: int, start: int = 0) -> str:
    return " ".join(sentences(count, start))


# ---- processes -----------------------------------------------------------------------


def taskset_available() -> bool:
    return shutil.which("taskset") is not None


class EngineWorker:
    """One ``voicebus engine <name>`` process, optionally pinned to one CPU with taskset.

    ``env`` adds environment variables, e.g. ``{"VOICEBUS_SUBJECT_PREFIX": "solo"}`` to keep
    workers of different setups apart on one server.
    """

    def __init__(
        self,
        url: str,
        log_dir: Path,
        *,
        engine: str = "piper",
        threads: int = 2,
        cpu: int | None = None,
        concurrency: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.url = url
        self.engine = engine
        self.threads = threads
        self.cpu = cpu if cpu is not None and taskset_available() else None
        self.concurrency = concurrency
        self.extra_env = env or {}
        self.log_path = log_dir / f"engine-{engine}-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.instance: str | None = None

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "hub.cli", "engine", self.engine]
        if self.cpu is not None:
            command = ["taskset", "-c", str(self.cpu), *command]
        return command

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "VOICEBUS_NATS_URL": self.url,
            "VOICEBUS_THREADS": str(self.threads),
            "VOICEBUS_LOG_LEVEL": "INFO",
        }
        if self.concurrency is not None:
            env["VOICEBUS_CONCURRENCY"] = str(self.concurrency)
        return {**env, **self.extra_env}

    def start(self) -> EngineWorker:
        with self.log_path.open("wb") as log:
            # Own session: a Ctrl-C in the terminal reaches only the bench, which stops us.
            self.process = subprocess.Popen(
                self.command(),
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_serving(self, timeout: float = 60.0) -> str:
        """Block until the worker logs that it serves; returns its instance id."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = _SERVING.search(self.log())
            if match:
                self.instance = match.group(1)
                return self.instance
            if self.process.poll() is not None:
                raise RuntimeError(f"engine worker exited early:\n{self.log()[-2000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"engine worker not serving after {timeout} s:\n{self.log()[-2000:]}")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class BenchStack:
    """A nats-server in a temporary directory plus the engine workers started on it.

    Use as a context manager: leaving it (normally, on an error or on Ctrl-C) stops every
    worker, then the server, and removes the directory.
    """

    def __init__(self) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="voicebus-bench-"))
        self.server = NatsServer(self._tmp / "nats", port=-1)
        self.workers: list[EngineWorker] = []
        self.url = ""

    @property
    def log_dir(self) -> Path:
        return self._tmp

    def start(self) -> BenchStack:
        self.url = self.server.start()
        return self

    def start_worker(self, **options: object) -> EngineWorker:
        """Start one worker (see ``EngineWorker`` for options) and wait until it serves."""
        worker = EngineWorker(self.url, self._tmp, **options)  # type: ignore[arg-type]
        self.workers.append(worker)
        worker.start().wait_serving()
        return worker

    def start_workers(self, specs: Sequence[dict[str, object]]) -> list[EngineWorker]:
        """Start several workers at once (they load in parallel), wait for all."""
        started = [EngineWorker(self.url, self._tmp, **spec) for spec in specs]  # type: ignore[arg-type]
        self.workers.extend(started)
        for worker in started:
            worker.start()
        for worker in started:
            worker.wait_serving()
        return started

    def stop_workers(self) -> None:
        while self.workers:
            self.workers.pop().stop()

    def close(self) -> None:
        try:
            self.stop_workers()
        finally:
            self.server.stop()
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> BenchStack:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def wait_for_workers(
    hub: HubClient, count: int, engine: str = "piper", timeout: float = 10.0
) -> None:
    """Wait until the client's discovery sees ``count`` live workers of ``engine``."""
    deadline = time.monotonic() + timeout
    while hub.discovery.workers_of(engine) < count:
        if time.monotonic() > deadline:
            seen = hub.discovery.workers_of(engine)
            raise TimeoutError(f"only {seen} of {count} {engine} workers announced")
        await hub.discovery.refresh()
        await hub.discovery.wait_for(lambda d: d.workers_of(engine) >= count, 0.5)


# ---- timing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One synthesis: seconds to the first audio and to the end, and the PCM size."""

    first: float
    total: float
    audio_bytes: int
    sentence_seconds: tuple[float, ...] = ()
    """Bus only: each sentence's time inside its worker (inference and publishing)."""
    served_by: tuple[str, ...] = ()
    """Bus only: the worker instance that made each sentence."""

    @property
    def engine_seconds(self) -> float:
        """The worker's own time for the first sentence (0 for in-process runs)."""
        return self.sentence_seconds[0] if self.sentence_seconds else 0.0

    def busy_seconds(self) -> dict[str, float]:
        """Seconds each worker spent on this text's sentences."""
        busy: dict[str, float] = {}
        for instance, seconds in zip(self.served_by, self.sentence_seconds, strict=False):
            busy[instance] = busy.get(instance, 0.0) + seconds
        return busy


async def time_stream(hub: HubClient, text: str, voice: str = VOICE) -> Timing:
    """Time ``text`` through the bus, from ``hub.open`` to the last PCM chunk."""
    began = time.perf_counter()
    first: float | None = None
    size = 0
    stream = await hub.open(text, voice)
    async with stream:
        async for pcm in stream:
            if first is None:
                first = time.perf_counter() - began
            size += len(pcm)
    total = time.perf_counter() - began
    seconds = tuple(end.synthesis_seconds for end in stream.stats)
    return Timing(first or total, total, size, seconds, tuple(stream.served_by))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def ratio(value: float) -> str:
    return f"{value:5.2f}x"


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A plain left-aligned text table."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for line in (headers, ["-" * width for width in widths], *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


def machine_note(sample_seconds: float = 0.5) -> str:
    """CPU count, load average, and what other processes use right now (sampled briefly),
    with a warning when that is enough to make timings noisy."""
    cpus = os.cpu_count() or 1
    note = f"{cpus} CPUs, load average {os.getloadavg()[0]:.2f}"
    with OutsideLoad() as load:
        time.sleep(sample_seconds)
    if load.share is not None:
        note += f", other processes use {load.share:.0%} of the CPUs now"
        if load.share > 0.05:
            note += "  (WARNING: the machine is busy; numbers will be noisy)"
    return note


class OutsideLoad:
    """How much CPU other processes (not this one or its children) used meanwhile (Linux).

    ``with OutsideLoad() as load: ...`` then ``load.share`` is the fraction of all CPUs
    they used, or ``None`` where ``/proc`` is missing. Above a few percent, timings are noisy.
    """

    def __init__(self) -> None:
        self.share: float | None = None
        self._start: tuple[float, int, int] | None = None

    def __enter__(self) -> OutsideLoad:
        self._start = _sample()
        return self

    def __exit__(self, *exc_info: object) -> None:
        end = _sample()
        if self._start is None or end is None:
            return
        wall = end[0] - self._start[0]
        ticks = os.sysconf("SC_CLK_TCK") * wall * (os.cpu_count() or 1)
        other = (end[1] - self._start[1]) - (end[2] - self._start[2])
        self.share = max(0.0, other / ticks) if ticks > 0 else None

    def note(self) -> str:
        if self.share is None:
            return ""
        warning = "  (WARNING: noisy)" if self.share > 0.05 else ""
        return f"other processes used {self.share:.0%} of the CPUs meanwhile{warning}"


def _sample() -> tuple[float, int, int] | None:
    """(time, busy CPU ticks of the machine, CPU ticks of this process tree)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        busy = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait
        return time.monotonic(), busy, _tree_ticks(os.getpid())
    except (OSError, ValueError, IndexError):
        return None


def _tree_ticks(root: int) -> int:
    """CPU ticks of ``root`` (with its reaped children) and of its live descendants."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                text = (entry / "stat").read_text()
                stats[int(entry.name)] = text.rsplit(")", 1)[1].split()
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        fields = stats.get(pid)
        if fields is not None:  # utime stime cutime cstime
            total += sum(int(x) for x in fields[11:15])
        todo.extend(children.get(pid, []))
    return total


async def sleep_briefly() -> None:
    """Let sockets and worker threads settle between measurements."""
    await asyncio.sleep(0.05)


# ---- shared by the scripts --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def load_piper(threads: int) -> PiperVoice:
    """The bundled voice, loaded exactly as the Piper engine loads it."""
    model, config = bundled_voice_files()
    return load_voice(model, config, threads).voice


def time_piper(voice: PiperVoice, text: str) -> Timing:
    """Time ``voice.synthesize``: first chunk (the first sentence) and the whole text."""
    began = time.perf_counter()
    first: float | None = None
    size = 0
    for chunk in voice.synthesize(text):
        if first is None:
            first = time.perf_counter() - began
        size += len(chunk.audio_int16_bytes)
    total = time.perf_counter() - began
    return Timing(first or total, total, size)
