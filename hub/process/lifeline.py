"""Children die with their supervisor, however it dies (SIGKILL and OOM kills included).

On Linux a child asks the kernel for a signal when its parent dies (``PR_SET_PDEATHSIG``),
set between fork and exec; elsewhere nothing is done (``preexec`` is None). The signal is
SIGTERM, so an engine worker still drains what it accepted and nats-server still flushes
JetStream, as on Ctrl-C.

The kernel sends it when the *thread* that started the child ends, so start children from
the event loop's thread, not from a thread pool. A parent that dies between fork and the
``prctl`` sends nothing: the child then sees another parent (``getppid``) and exits at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1
_forking_parent = os.getpid()


def _remember_parent() -> None:
    """Runs in the parent just before each fork: the pid the child must still see after prctl."""
    global _forking_parent
    _forking_parent = os.getpid()


def _die_with_parent() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != _forking_parent:  # the parent died before prctl: no signal will come
        os._exit(1)


if sys.platform == "linux":
    os.register_at_fork(before=_remember_parent)


preexec: Callable[[], None] | None = _die_with_parent if sys.platform == "linux" else None
"""Pass as ``preexec_fn`` when starting a child that must not outlive this process."""
