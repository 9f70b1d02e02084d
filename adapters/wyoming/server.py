"""The Wyoming adapter: a Wyoming TCP server (``wyoming.server.AsyncTcpServer``) whose
connections speak to the hub, optionally announced over zeroconf for Home Assistant.

    adapter = WyomingAdapter(WyomingSettings(port=10200), hub)
    await adapter.serve(stop_event)      # until stop_event is set; then closes connections
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
from typing import Any

from wyoming.server import AsyncTcpServer

from adapters.wyoming.handler import WyomingContext, WyomingHandler
from adapters.wyoming.settings import WyomingSettings
from hub.client import HubClient
from hub.process.ports import PortTakenError, ensure_free

_LOGGER = logging.getLogger(__name__)

_ANY_ADDRESS = ("", "0.0.0.0", "::")


class _TcpServer(AsyncTcpServer):
    """``AsyncTcpServer`` plus the bound port and a shutdown that waits for connections."""

    @property
    def bound_port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("server is not listening")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self, grace: float) -> None:
        tasks = list(self._handlers)  # one task per connection, kept by AsyncServer
        await self.stop()  # asks every handler to stop, stops listening
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


class WyomingAdapter:
    def __init__(self, settings: WyomingSettings, hub: HubClient) -> None:
        self.settings = settings
        self.hub = hub
        self._server: _TcpServer | None = None
        self._zeroconf: Any = None

    @property
    def port(self) -> int:
        """The port actually listened on (useful with port 0)."""
        if self._server is None:
            raise RuntimeError("the Wyoming adapter is not started")
        return self._server.bound_port

    async def start(self) -> None:
        server = _TcpServer(self.settings.host, self.settings.port)
        context = WyomingContext(hub=self.hub, settings=self.settings)
        try:
            await server.start(functools.partial(WyomingHandler, context))
        except OSError as error:
            raise _in_words(error, self.settings) from None
        self._server = server
        _LOGGER.info("Wyoming adapter listening on %s:%d", self.settings.host, self.port)
        if self.settings.zeroconf:
            self._zeroconf = await _announce(self.settings, self.port)

    async def close(self) -> None:
        if self._zeroconf is not None:
            await _withdraw(self._zeroconf)
            self._zeroconf = None
        if self._server is not None:
            await self._server.close(self.settings.shutdown_grace)
            self._server = None
            _LOGGER.info("Wyoming adapter stopped")

    async def serve(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set, then close every connection and return."""
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.close()

    async def __aenter__(self) -> WyomingAdapter:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _in_words(error: OSError, settings: WyomingSettings) -> OSError:
    """A taken port as one line naming what holds it; other errors as they are."""
    if error.errno != errno.EADDRINUSE:
        return error
    hint = "stop it, or set another port (VOICEBUS_WYOMING_PORT)"
    try:
        ensure_free("" if ":" in settings.host else settings.host, settings.port, "Wyoming", hint)
    except PortTakenError as taken:
        return taken
    return PortTakenError(f"the Wyoming port {settings.port} is already taken; {hint}")


async def _announce(settings: WyomingSettings, port: int) -> Any:
    """Register ``_wyoming._tcp`` over mDNS; a failure is logged, never fatal."""
    try:
        from wyoming.zeroconf import HomeAssistantZeroconf

        host = settings.zeroconf_host
        if host is None and settings.host not in _ANY_ADDRESS:
            host = settings.host
        zeroconf = HomeAssistantZeroconf(port=port, name=settings.zeroconf_name, host=host)
        await zeroconf.register_server()
    except Exception as error:  # no multicast route, no zeroconf package, ...
        _LOGGER.error("zeroconf announcement failed (add Home Assistant by hand): %s", error)
        return None
    _LOGGER.info("announced %s._wyoming._tcp.local. at %s:%d", zeroconf.name, zeroconf.host, port)
    return zeroconf


async def _withdraw(zeroconf: Any) -> None:
    # HomeAssistantZeroconf has no close(); its AsyncZeroconf unregisters on close.
    aiozc = getattr(zeroconf, "_aiozc", None)
    if aiozc is not None:
        with contextlib.suppress(Exception):
            await aiozc.async_close()
