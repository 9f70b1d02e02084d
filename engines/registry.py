"""Engine names the CLI knows, and how to build each (imported only when asked for)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from hub.engine.base import Engine
from hub.engine.runner import RunnerSettings

# name -> "module:factory"; the factory takes the engine's settings and returns an Engine.
ENGINES: dict[str, str] = {
    "piper": "engines.piper:PiperEngine",
    "xtts": "engines.xtts.engine:XttsEngine",
    "chatterbox": "engines.chatterbox.engine:ChatterboxEngine",
    "chatterbox-turbo": "engines.chatterbox.engine:ChatterboxTurboEngine",
    "remote": "engines.remote:RemoteEngine",
}
SETTINGS: dict[str, str] = {
    "piper": "engines.piper:PiperSettings",
    "xtts": "engines.xtts.settings:XttsSettings",
    "chatterbox": "engines.chatterbox.settings:ChatterboxSettings",
    "chatterbox-turbo": "engines.chatterbox.settings:ChatterboxSettings",
    "remote": "engines.remote:RemoteSettings",
}


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def settings_class(name: str) -> type[RunnerSettings]:
    if name not in SETTINGS:
        raise KeyError(f"unknown engine {name!r}; known engines: {', '.join(sorted(ENGINES))}")
    cls: type[RunnerSettings] = _load(SETTINGS[name])
    return cls


def engine_factory(name: str) -> Callable[[RunnerSettings], Engine]:
    if name not in ENGINES:
        raise KeyError(f"unknown engine {name!r}; known engines: {', '.join(sorted(ENGINES))}")
    factory: Callable[[RunnerSettings], Engine] = _load(ENGINES[name])
    return factory
