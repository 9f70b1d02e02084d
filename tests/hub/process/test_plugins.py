"""Plug-ins from a third-party package, found through entry points, in a real `voicebus up`;
an adapter that cannot start is retried and reported while the others keep serving."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.process.natsserver import NatsServer
from tests.conftest import PrivateBus
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[3]
UV = ROOT / ".venv-uv" / "bin" / "uv"
TOY = Path(__file__).resolve().parent / "toy_plugin"


@pytest.fixture(scope="module")
def toy_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a process that has the toy package installed (pip-style, into a
    folder on PYTHONPATH, so the project's own environment stays untouched)."""
    site = tmp_path_factory.mktemp("toy-site")
    subprocess.run(
        [str(UV), "pip", "install", "--quiet", "--no-deps", "--python", sys.executable,
         "--target", str(site), str(TOY)],
        check=True,
    )  # fmt: skip
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "VOICEBUS_CONFIG": ""}


def voicebus(env: dict[str, str], *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_installed_plugins_are_commands(toy_env: dict[str, str]) -> None:
    adapters = voicebus(toy_env, "adapter", "--help").stdout
    assert {"toy", "broken", "openai", "wyoming"} <= set(adapters.split())
    assert "tone" in voicebus(toy_env, "engine", "--help").stdout.split()
    toy_help = voicebus(toy_env, "adapter", "toy", "--help").stdout
    assert "--port INTEGER" in toy_help and "VOICEBUS_TOY_<KEY>" in toy_help
    # Without the package: not there, and asking for it is one clear line.
    missing = voicebus({**os.environ, "VOICEBUS_CONFIG": ""}, "up", "--adapter", "toy")
    assert missing.returncode == 1
    head, _, known = missing.stderr.strip().partition("; known adapters: ")
    assert head == "Error: unknown adapter 'toy'"
    assert {"openai", "wyoming"} <= set(known.split(", ")) and "toy" not in known


class Up:
    """`voicebus up` with the toy engine and adapters, the failing one and the OpenAI one."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.toy_port, self.http_port = free_port(), free_port()
        self.nats_url = f"nats://127.0.0.1:{free_port()}"
        self.log_path = workdir / "up.log"
        command = [
            sys.executable, "-m", "hub.cli", "up", "--nats-port", self.nats_url.rsplit(":", 1)[1],
            "--data-dir", str(workdir / "data"), "--workers", "1", "--engine", "tone",
            "--adapter", "toy", "--adapter", "broken", "--adapter", "openai",
            "--set", f"toy.port={self.toy_port}", "--set", f"openai.port={self.http_port}",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ask_toy(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                with socket.create_connection(("127.0.0.1", self.toy_port), timeout=10) as conn:
                    conn.sendall(text.encode() + b"\n")
                    return conn.makefile().readline().strip()
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"the toy adapter never answered:\n{self.log()}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(30)


@pytest.fixture(scope="module")
def up(toy_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    running = Up(toy_env, tmp_path_factory.mktemp("up"))
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.stop()


def test_third_party_engine_and_adapter_serve_in_up(up: Up) -> None:
    # 4 words of the tone engine: 0.1 s each at 16 kHz, 16-bit.
    assert up.ask_toy("one two three four") == f"16000 {4 * 1600 * 2}"


def test_a_failing_adapter_is_retried_and_reported(up: Up, toy_env: dict[str, str]) -> None:
    up.ask_toy("warm up")  # everything has started
    deadline = time.monotonic() + 20
    while True:
        result = voicebus(toy_env, "status", "--json", "--nats-url", up.nats_url)
        adapters = {a["adapter"]: a for a in json.loads(result.stdout)["adapters"]}
        if adapters["broken"]["restarts"] >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert result.returncode == 1  # an adapter is failing
    assert adapters["toy"]["state"] == adapters["openai"]["state"] == "running"
    broken = adapters["broken"]
    assert broken["state"] == "failed" and broken["restarts"] >= 2
    assert broken["error"] == "OSError: the broken adapter cannot start"
    text = voicebus(toy_env, "status", "--nats-url", up.nats_url).stdout
    assert "broken       failed (OSError: the broken adapter cannot start)" in text
    with urllib.request.urlopen(f"http://127.0.0.1:{up.http_port}/health", timeout=10) as answer:
        health = json.loads(answer.read())
    assert answer.status == 200 and health["status"] == "ok"  # the others make it healthy
    reported = {a["adapter"]: a for a in health["adapters"]}
    assert reported["broken"]["state"] == "failed" and reported["broken"]["restarts"] >= 2
    assert reported["toy"]["state"] == "running"
    # The others kept serving all along.
    assert up.ask_toy("still here") == f"16000 {2 * 1600 * 2}"
    log = up.log()
    assert "adapter broken failed: OSError: the broken adapter cannot start; retrying in 1 s" in log
    assert "retrying in 2 s" in log
    assert "Traceback" not in log


def test_debug_logs_the_traceback_of_a_failing_adapter(
    toy_env: dict[str, str], nats_server: NatsServer, tmp_path: Path
) -> None:
    """Without --debug a failure is one line (above); with it, the traceback follows that line."""
    log_path = tmp_path / "adapter.log"
    command = [sys.executable, "-m", "hub.cli", "--debug", "adapter", "broken",
               "--nats-url", nats_server.url]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=toy_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "retrying in 2 s" not in log_path.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    text = log_path.read_text()
    line = "adapter broken failed: OSError: the broken adapter cannot start; retrying in 1 s"
    assert line in text
    traceback = text.split(line, 1)[1]
    assert traceback.lstrip("\n").startswith("Traceback (most recent call last):"), text
    assert 'raise OSError("the broken adapter cannot start")' in traceback
    assert "voicebus_toy.py" in traceback


def test_up_stops_cleanly_with_a_failing_adapter(up: Up) -> None:
    assert up.stop() == 0, up.log()
    assert "voicebus stopped" in up.log()


async def test_an_engine_without_speed_is_stretched_in_proportion(
    toy_env: dict[str, str], private_bus: PrivateBus
) -> None:
    """The tone engine declares no speed of its own: the runner time-stretches it."""
    private_bus.engine("tone", PYTHONPATH=toy_env["PYTHONPATH"])
    hub = await private_bus.client(voice="toy-tone")
    words = "one two three four five six seven eight"
    for speed in (0.5, 1.0, 2.0):
        stream = await hub.open(words, "toy-tone", speed=speed)
        pcm = b"".join([chunk async for chunk in stream])
        seconds = len(pcm) / 2 / stream.sample_rate
        assert seconds == pytest.approx(0.8 / speed, rel=0.05), (speed, seconds)
