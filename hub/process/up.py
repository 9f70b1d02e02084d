"""``voicebus up``: the whole hub on one machine.

Starts an embedded nats-server with JetStream (unless a NATS URL is configured), each
engine in ``workers`` processes (restarted if they crash), and the adapters in this process,
each supervised on its own (:mod:`hub.process.adapters`). Ctrl-C or SIGTERM stops it all in
reverse order, letting engines drain. Engines and adapters are plug-ins (:mod:`hub.plugins`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any

from pydantic import Field

from hub import plugins
from hub.client import ClientSettings, HubClient
from hub.process.adapters import AdapterSupervisor, SupervisedAdapter
from hub.process.natsserver import NatsServer, keep_nats_running
from hub.process.supervisor import ManagedProcess
from hub.settings import NatsOptions, VoicebusSettings, default_data_dir

_LOGGER = logging.getLogger(__name__)


class UpSettings(VoicebusSettings, NatsOptions):
    nats_url: str | None = Field(  # type: ignore[assignment]
        default=None, description="Use this NATS instead of starting an embedded one."
    )
    nats_port: int = Field(default=4222, description="Port of the embedded nats-server.")
    data_dir: Path = Field(default_factory=default_data_dir)
    engines: list[str] = Field(default_factory=lambda: ["piper"])
    workers: int = Field(default=0, ge=0, description="Engine worker processes; 0 = auto.")
    threads: int = Field(default=0, ge=0, description="Inference threads per worker; 0 = auto.")
    adapters: list[str] = Field(default_factory=lambda: ["openai", "wyoming"])
    adapter_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Settings per adapter name (from --set NAME.KEY=VALUE)."
    )


def worker_plan(workers: int, threads: int, cores: int | None = None) -> tuple[int, int]:
    """(workers, threads per worker). One worker using every core is the best default on a
    small box: Piper's onnxruntime scales well within a process."""
    cores = cores or os.cpu_count() or 1
    workers = workers or max(1, cores // 4)
    threads = threads or max(1, cores // workers)
    return workers, threads


class Hub:
    def __init__(self, settings: UpSettings) -> None:
        self.settings = settings
        # Unknown names and bad adapter settings fail here, before anything starts.
        self.engines = [plugins.engine(name) for name in settings.engines]
        self.adapters = [plugins.adapter(name) for name in settings.adapters]
        unknown = set(settings.adapter_options) - set(settings.adapters)
        if unknown:
            raise ValueError(
                f"settings given for adapter(s) not started: {', '.join(sorted(unknown))}"
            )
        self.adapter_settings = {
            plugin.name: plugin.make_settings(settings.adapter_options.get(plugin.name, {}))
            for plugin in self.adapters
        }
        self.nats: NatsServer | None = None
        self.processes: list[ManagedProcess] = []
        self.url = settings.nats_url or ""

    async def start_nats(self) -> None:
        if self.settings.nats_url:
            return
        self.nats = NatsServer(self.settings.data_dir / "nats", port=self.settings.nats_port)
        self.url = await self.nats.start_async()

    def start_engines(self) -> None:
        workers, threads = worker_plan(self.settings.workers, self.settings.threads)
        env = {"VOICEBUS_NATS_URL": self.url, "VOICEBUS_THREADS": str(threads)}
        env["VOICEBUS_SUBJECT_PREFIX"] = self.settings.subject_prefix
        for engine in self.engines:
            argv = [str(engine.python()), "-m", "hub.cli", "engine", engine.name]
            for index in range(workers):
                process = ManagedProcess(f"engine {engine.name} #{index + 1}", argv, env)
                process.start()
                self.processes.append(process)
        _LOGGER.info("%d worker(s) per engine, %d thread(s) each", workers, threads)

    async def run(self, stop: asyncio.Event) -> None:
        await self.start_nats()
        watcher = None
        if self.nats is not None:
            watcher = asyncio.create_task(keep_nats_running(self.nats, stop), name="nats-watch")
        try:
            self.start_engines()
            await self._serve_adapters(stop)
        finally:
            stop.set()
            await asyncio.gather(*(p.stop() for p in self.processes), return_exceptions=True)
            if watcher is not None:
                await watcher
            if self.nats is not None:
                self.nats.stop()
            _LOGGER.info("voicebus stopped")

    async def _serve_adapters(self, stop: asyncio.Event) -> None:
        client_settings = ClientSettings(
            nats_url=self.url, subject_prefix=self.settings.subject_prefix
        )
        hub = await HubClient.connect(client_settings, "voicebus-up")
        try:
            await hub.discovery.wait_for(timeout=30.0)
            supervised = [
                SupervisedAdapter(plugin, self.adapter_settings[plugin.name], hub)
                for plugin in self.adapters
            ]
            _LOGGER.info("voicebus is up: NATS at %s", self.url)
            await AdapterSupervisor(hub, supervised).run(stop)
        finally:
            await hub.close()


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT (Ctrl-C)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_up(settings: UpSettings) -> None:
    hub = Hub(settings)
    await hub.run(stop_on_signals())


async def run_adapter(
    plugin: plugins.AdapterPlugin, settings: Any, client_settings: ClientSettings
) -> None:
    """``voicebus adapter NAME``: one adapter, supervised the same way, against any NATS."""
    async with await HubClient.connect(client_settings, f"voicebus-{plugin.name}") as hub:
        supervised = SupervisedAdapter(plugin, settings, hub)
        await AdapterSupervisor(hub, [supervised]).run(stop_on_signals())
