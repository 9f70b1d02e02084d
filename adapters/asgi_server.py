"""An ASGI app served by uvicorn until a stop event: what every HTTP adapter needs.

Every HTTP adapter is served with the guards of ``adapters/http_guard.py`` (header and body
deadlines, a connection cap, JSON for malformed HTTP). uvicorn installs no signal handlers
here (whoever owns the process owns the signals), a bind or start-up failure (uvicorn's
``SystemExit``) becomes an ``OSError`` in words (a taken port names the process holding
it), so the supervisor logs one line and retries, and ``started``/``port`` tell when and
where it listens (``port=0`` picks a free one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn

from adapters.http_guard import HttpLimits, guarded_protocol
from hub.process.ports import ensure_free

_LOGGER = logging.getLogger(__name__)

_PORT_HINT = "stop it, or set another port for the adapter (its 'port' setting)"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class AsgiServer:
    def __init__(self, config: uvicorn.Config, name: str, limits: HttpLimits | None = None) -> None:
        limits = limits or HttpLimits()
        config.http = guarded_protocol(limits)
        config.h11_max_incomplete_event_size = limits.max_header_bytes  # the guard answers first
        self.config = config
        self.name = name
        self.started = asyncio.Event()
        self._server: _Server | None = None

    @property
    def port(self) -> int:
        """The port actually bound; valid once started."""
        if self._server is None or not self._server.servers:
            raise RuntimeError(f"the {self.name} is not listening yet")
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    async def serve(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set (then shut down gracefully) or the server fails."""
        self._check_port()
        server = _Server(self.config)
        self._server = server
        serving = asyncio.create_task(self._run(server), name=f"{self.name} server")
        watcher = asyncio.create_task(self._announce(server), name=f"{self.name} started")
        stopping = asyncio.create_task(stop.wait(), name=f"{self.name} stop")
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            server.should_exit = True
            await serving
        finally:
            for task in (watcher, stopping, serving):
                task.cancel()
            server.should_exit = True

    async def _run(self, server: _Server) -> None:
        try:
            await server.serve()
        except SystemExit as exit_:
            self._check_port()  # taken meanwhile
            host, port = self.config.host, self.config.port
            message = f"{self.name} could not start on {host}:{port} (see the log above)"
            raise OSError(message) from exit_

    def _check_port(self) -> None:
        """A taken port is one line naming what holds it (an IPv6 host is left to uvicorn)."""
        if ":" not in self.config.host:
            ensure_free(self.config.host, self.config.port, self.name, _PORT_HINT)

    async def _announce(self, server: _Server) -> None:
        while not server.started:
            await asyncio.sleep(0.01)
        self.started.set()
        _LOGGER.info("%s listening on %s:%d", self.name, self.config.host, self.port)
