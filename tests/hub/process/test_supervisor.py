"""The child supervisor on its own, with real child processes: the restart pause grows with
quick crashes and starts over after a healthy run; a child whose parent dies between fork and
``prctl`` does not outlive it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hub.process.backoff import Backoff
from hub.process.supervisor import ManagedProcess
from tests.hub.process.up_support import alive


def test_the_pause_grows_and_starts_over_after_a_healthy_run() -> None:
    backoff = Backoff(first=1.0, factor=2.0, ceiling=5.0, healthy_after=60.0)
    assert backoff.pause(None, 0.1) == 1.0
    assert [backoff.pause(p, 0.1) for p in (1.0, 2.0, 4.0, 5.0)] == [2.0, 4.0, 5.0, 5.0]
    assert backoff.pause(5.0, 60.0) == 1.0


async def wait_for(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_child_that_ran_healthily_restarts_after_the_first_pause(tmp_path: Path) -> None:
    run_for = tmp_path / "run-for"
    run_for.write_text("0")
    backoff = Backoff(first=0.1, factor=2.0, ceiling=10.0, healthy_after=1.5)
    child = ManagedProcess(
        "crasher", ["sh", "-c", f'sleep "$(cat {run_for})"; exit 3'], None, backoff
    )
    child.start()
    try:
        await wait_for(lambda: child.restarts >= 3)
        assert child.pause == pytest.approx(0.4)  # 0.1, 0.2, 0.4: quick crashes grow it
        run_for.write_text("2")  # the next run is longer than healthy_after
        await wait_for(lambda: child.restarts >= 5)
        assert child.pause == pytest.approx(0.1)
    finally:
        await child.stop()


ORPHAN_MAKER = textwrap.dedent(
    """
    import os, subprocess, sys, threading, time
    from hub.process.lifeline import preexec

    def slow_preexec():  # the parent dies while the child is between fork and prctl
        with open(sys.argv[1], "w") as out:
            out.write(str(os.getpid()))
        time.sleep(0.8)
        preexec()

    threading.Thread(
        target=subprocess.Popen, args=(["sleep", "30"],), kwargs={"preexec_fn": slow_preexec}
    ).start()
    time.sleep(0.3)
    os._exit(0)
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_whose_parent_died_before_prctl_exits(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    subprocess.run([sys.executable, "-c", ORPHAN_MAKER, str(pid_file)], check=True, timeout=30)
    deadline = time.monotonic() + 10
    while not pid_file.is_file() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int(pid_file.read_text())
    try:
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child), "the orphan went on running"
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)
