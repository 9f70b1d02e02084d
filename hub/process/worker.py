"""Run one engine worker process: load the engine, serve it until SIGTERM/SIGINT, drain."""

from __future__ import annotations

import asyncio
import logging
import signal

from hub.engine.runner import EngineRunner, RunnerSettings

_LOGGER = logging.getLogger(__name__)


async def serve_engine(name: str, settings: RunnerSettings) -> None:
    from engines.registry import engine_factory

    factory = engine_factory(name)
    _LOGGER.info("loading engine %s", name)
    engine = await asyncio.to_thread(factory, settings)
    runner = EngineRunner(engine, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runner.run_until(stop)
