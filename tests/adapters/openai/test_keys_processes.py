"""Keys across real processes: ``voicebus keys create`` and ``revoke`` as subprocesses (``list``
and the error paths run in-process: tests/hub/keys/test_cli.py), and two
``voicebus adapter openai`` processes on one bus sharing one key's limit and refusing it
within a second of its revocation."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2

from hub.process.natsserver import NatsServer


def voicebus(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hub.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@contextlib.contextmanager
def adapter_processes(
    env: dict[str, str], log_dir: Path, count: int
) -> Iterator[Callable[[], list[str]]]:
    """Real ``voicebus adapter openai`` processes on ports of their own choosing (port 0:
    no race with other processes for a "free" port), started side by side; yields a
    function that waits until each has said where it listens and gives their base URLs."""
    processes, logs = [], []
    for index in range(count):
        logs.append(log_dir / f"openai-{index}.log")
        with logs[-1].open("wb") as log:
            command = [sys.executable, "-m", "hub.cli", "adapter", "openai", "--port", "0"]
            processes.append(
                subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            )
    try:
        yield lambda: [_listening(p, log) for p, log in zip(processes, logs, strict=True)]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)


def _listening(process: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + 60
    while (found := re.search(r"listening on (127\.0\.0\.1:\d+)", log_path.read_text())) is None:
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, f"no adapter:\n{log_path.read_text()}"
        time.sleep(0.05)
    return f"http://{found.group(1)}"


def models_status(url: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx2.get(f"{url}/v1/models", headers=headers, timeout=10).status_code


def wait_until_refused(urls: list[str], token: str) -> None:
    """Every adapter answers this token 401 within a second (a bounded wait on a condition)."""
    deadline = time.monotonic() + 1.0
    pending = set(urls)
    while pending and time.monotonic() < deadline:
        pending = {url for url in pending if models_status(url, token) != 401}
    assert not pending, f"still accepted by {pending} a second on"


def test_cli_keys_and_two_adapter_processes(nats_server: NatsServer, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VOICEBUS_NATS_URL": nats_server.url,
        "VOICEBUS_SUBJECT_PREFIX": f"keys-procs-{uuid.uuid4().hex[:6]}",
        "VOICEBUS_OPENAI_ACCESS_LOG": "true",
        "VOICEBUS_LOG_LEVEL": "DEBUG",
    }
    with adapter_processes(env, tmp_path, 2) as listening:
        # While the adapters start (open: no key exists yet), the admin creates one.
        created = voicebus(env, "keys", "create", "--name", "proc-key", "--scope", "speak",
                           "--rate", "5/day")  # fmt: skip
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip()
        assert token.startswith("vbk_") and token not in created.stderr
        assert "shown only now" in created.stderr
        one, two = listening()
        wait_until_refused([one, two], "vbk_0123456789ab_" + "x" * 43)  # they know of keys

        statuses = [models_status(url, token) for url in (one, two, one, two, one, two, one)]
        assert statuses == [200] * 5 + [429] * 2  # one limit, counted on the bus

        revoked = voicebus(env, "keys", "revoke", "proc-key")
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        wait_until_refused([one, two], token)
    logs = "".join(path.read_text() for path in tmp_path.glob("openai-*.log"))
    assert "/v1/models" in logs  # the access log was on, and never shows the secret
    assert token.split("_", 2)[2] not in logs
