"""How a pull shows its progress: bars on a terminal (tqdm), lines in an engine's log."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

_LOGGER = logging.getLogger(__name__)


def human(count: int | None) -> str:
    if count is None:
        return "? B"
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"


class Progress(Protocol):
    def begin(self, label: str, total: int) -> None:
        """A pull of ``total`` bytes (of the files still to fetch) starts."""

    def file(self, name: str, size: int | None, done: int) -> None:
        """A file (re)starts at byte ``done`` (after a resume, or from zero again)."""

    def advance(self, count: int) -> None:
        """``count`` more bytes of the current file arrived."""

    def file_done(self, name: str, note: str) -> None: ...

    def end(self) -> None: ...


class BarProgress:
    """A bar for the whole pull and one for the file in flight (on stderr)."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self._total: Any = None
        self._bar: Any = None
        self._file_done = 0

    def begin(self, label: str, total: int) -> None:
        self._total = self._tqdm(
            total=total, desc=f"{label} total", unit="B", unit_scale=True, position=0
        )

    def file(self, name: str, size: int | None, done: int) -> None:
        if self._bar is None:
            self._bar = self._tqdm(
                total=size, desc=name, unit="B", unit_scale=True, position=1, leave=False
            )
            self._file_done = 0
        self._total.update(done - self._file_done)
        self._bar.n = self._file_done = done
        self._bar.refresh()

    def advance(self, count: int) -> None:
        self._bar.update(count)
        self._total.update(count)
        self._file_done += count

    def file_done(self, name: str, note: str) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._tqdm.write(f"  {name}: {note}")

    def end(self) -> None:
        if self._total is not None:
            self._total.close()


class LogProgress:
    """Log lines: each file's start and end, and its share every ``every`` seconds."""

    def __init__(self, every: float = 5.0) -> None:
        self._every = every
        self._label = ""
        self._name = ""
        self._size: int | None = None
        self._done = 0
        self._last = 0.0

    def begin(self, label: str, total: int) -> None:
        self._label = label
        _LOGGER.info("pulling %s: %s to download", label, human(total))

    def file(self, name: str, size: int | None, done: int) -> None:
        self._name, self._size, self._done = name, size, done
        self._last = time.monotonic()
        start = f" from {human(done)}" if done else ""
        _LOGGER.info("pulling %s: %s (%s)%s", self._label, name, human(size), start)

    def advance(self, count: int) -> None:
        self._done += count
        if time.monotonic() - self._last >= self._every:
            self._last = time.monotonic()
            share = f"{100 * self._done / self._size:.0f} %" if self._size else human(self._done)
            _LOGGER.info("pulling %s: %s %s", self._label, self._name, share)

    def file_done(self, name: str, note: str) -> None:
        _LOGGER.info("pulling %s: %s %s", self._label, name, note)

    def end(self) -> None:
        _LOGGER.info("pulling %s: done", self._label)
