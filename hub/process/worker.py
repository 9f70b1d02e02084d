"""Run one engine worker process: load the engine, serve it until SIGTERM/SIGINT, drain."""

from __future__ import annotations

import asyncio
import logging

from hub.engine.runner import EngineRunner, RunnerSettings
from hub.plugins import EnginePlugin
from hub.process.up import stop_on_signals

_LOGGER = logging.getLogger(__name__)


async def serve_engine(plugin: EnginePlugin, settings: RunnerSettings) -> None:
    _LOGGER.info("loading engine %s", plugin.name)
    engine = await asyncio.to_thread(plugin.build, settings)
    runner = EngineRunner(engine, settings)
    await runner.run_until(stop_on_signals())
