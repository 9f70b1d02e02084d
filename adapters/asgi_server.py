"""An ASGI app served by uvicorn until a stop event: what every HTTP adapter needs.

uvicorn installs no signal handlers here (whoever owns the process owns the signals), a bind
or start-up failure (uvicorn's ``SystemExit``) becomes an ``OSError`` in words, so the
supervisor logs one line and retries, and ``started``/``port`` tell when and where it
listens (``port=0`` picks a free one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn

_LOGGER = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class AsgiServer:
    def __init__(self, config: uvicorn.Config, name: str) -> None:
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
            raise OSError(
                f"{self.name} could not start on {self.config.host}:{self.config.port} "
                "(port in use? see the log above)"
            ) from exit_

    async def _announce(self, server: _Server) -> None:
        while not server.started:
            await asyncio.sleep(0.01)
        self.started.set()
        _LOGGER.info("%s listening on %s:%d", self.name, self.config.host, self.port)
