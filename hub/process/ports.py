"""Is a TCP port free, and if not, who holds it (for one clear line instead of a traceback)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

_LISTEN = "0A"


class PortTakenError(OSError):
    """A port voicebus should listen on is already in use."""


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if (
                len(fields) > 9
                and fields[3] == _LISTEN
                and int(fields[1].rsplit(":", 1)[1], 16) == port
            ):
                inodes.add(fields[9])
    return inodes


def _process_with_socket(inodes: set[str]) -> str | None:
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                    command = " ".join(raw.decode(errors="replace").replace("\0", " ").split())
                    return f"pid {pid} ({command[:80]})"
        except OSError:  # the process ended, or is not ours to look at
            continue
    return None


def port_holder(port: int) -> str | None:
    """Who listens on ``port``: "pid 123 (nats-server --port 4222 ...)", or None if unknown."""
    inodes = _listening_inodes(port)
    return _process_with_socket(inodes) if inodes else None


def ensure_free(host: str, port: int, what: str, hint: str) -> None:
    """Raise :class:`PortTakenError` naming the holder when ``host:port`` cannot be bound."""
    if port <= 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            holder = port_holder(port) or "another program"
            raise PortTakenError(
                f"the {what} port {port} is already taken by {holder}; {hint}"
            ) from None
