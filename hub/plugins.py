"""Adapters and engines are plug-ins, found through Python entry points.

A package declares each of its plug-ins in its ``pyproject.toml``::

    [project.entry-points."voicebus.adapters"]
    twilio = "adapters.twilio:PLUGIN"          # an AdapterPlugin

    [project.entry-points."voicebus.engines"]
    piper = "engines.piper:PLUGIN"             # an EnginePlugin

The object an entry point names is a small spec holding import paths ("module:attribute")
of the settings class and the factory, so listing plug-ins imports nothing heavy. Nothing in
``hub/`` names a concrete adapter or engine: the CLI and ``voicebus up`` reach them only here.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from hub.client import HubClient
    from hub.engine.base import Engine
    from hub.engine.runner import RunnerSettings
    from hub.settings import AdapterSettings

_LOGGER = logging.getLogger(__name__)

ADAPTER_GROUP = "voicebus.adapters"
ENGINE_GROUP = "voicebus.engines"
COMMAND_GROUP = "voicebus.commands"
"""Extra ``voicebus`` sub-commands a plug-in brings (each entry names a click command)."""


class UnknownPluginError(LookupError):
    """No adapter or engine of that name is installed."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        listed = ", ".join(known) or "none installed"
        super().__init__(f"unknown {kind} {name!r}; known {kind}s: {listed}")
        self.kind, self.name, self.known = kind, name, known


class PluginLoadError(ImportError):
    """A plug-in is declared but its code cannot be imported."""


class UnknownSettingError(ValueError):
    """A flag or ``--set`` named a key its settings class does not have (a typo, most often)."""

    def __init__(self, owner: str, unknown: list[str], valid: list[str]) -> None:
        names = ", ".join(repr(key) for key in unknown)
        plural = "s" if len(unknown) > 1 else ""
        super().__init__(
            f"unknown setting{plural} {names} for {owner}; valid keys: {', '.join(valid)}"
        )


def make_settings(settings_cls: type[Any], values: dict[str, Any], owner: str) -> Any:
    """``settings_cls(**values)``, refusing keys that are not fields of ``settings_cls``.

    The settings classes ignore unknown keys so that one config file and environment can
    serve every process; what the user typed on the command line must not be ignored."""
    fields = settings_cls.model_fields
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise UnknownSettingError(owner, unknown, sorted(fields))
    return settings_cls(**values)


class Adapter(Protocol):
    """What an adapter factory returns: ``serve`` runs until ``stop`` is set, then returns
    once its connections are closed. Raising means it failed (``voicebus up`` retries)."""

    async def serve(self, stop: asyncio.Event) -> None: ...


def load_path(path: str) -> Any:
    """The object at ``"package.module:attribute"``."""
    module, _, attribute = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as error:
        raise PluginLoadError(f"cannot load {path}: {error}") from error


@dataclass(frozen=True)
class AdapterPlugin:
    """An adapter: ``factory(settings, hub)`` returns an :class:`Adapter`."""

    name: str
    settings: str
    factory: str
    description: str = ""

    def settings_class(self) -> type[AdapterSettings]:
        cls: type[AdapterSettings] = load_path(self.settings)
        return cls

    def make_settings(self, values: dict[str, Any]) -> AdapterSettings:
        """Its settings from flag values (env, its ``[table]`` and defaults below them)."""
        settings: AdapterSettings = make_settings(
            self.settings_class(), values, f"adapter {self.name}"
        )
        return settings

    def build(self, settings: AdapterSettings, hub: HubClient) -> Adapter:
        adapter: Adapter = load_path(self.factory)(settings, hub)
        return adapter


@dataclass(frozen=True)
class EnginePlugin:
    """An engine: ``factory(settings)`` returns an ``Engine`` (in the worker process).

    ``environment`` names the engine's own virtualenv folder (e.g. ``.venv-xtts``) next to the
    plug-in's top-level package, for engines whose dependencies clash with the hub's;
    ``make_target`` is how to build it. Without one the engine runs on this Python.
    """

    name: str
    settings: str
    factory: str
    description: str = ""
    environment: str | None = None
    make_target: str | None = None

    def settings_class(self) -> type[RunnerSettings]:
        cls: type[RunnerSettings] = load_path(self.settings)
        return cls

    def make_settings(self, values: dict[str, Any]) -> RunnerSettings:
        """Its settings from flag values (env, the config file and defaults below them)."""
        settings: RunnerSettings = make_settings(
            self.settings_class(), values, f"engine {self.name}"
        )
        return settings

    def build(self, settings: RunnerSettings) -> Engine:
        engine: Engine = load_path(self.factory)(settings)
        return engine

    def python(self) -> Path:
        """The interpreter to run this engine's workers with.

        ``VOICEBUS_<NAME>_PYTHON`` wins; then the engine's environment; else this Python.
        """
        variable = f"VOICEBUS_{self.name.upper().replace('-', '_')}_PYTHON"
        if os.environ.get(variable):
            return Path(os.environ[variable])
        if self.environment is None:
            return Path(sys.executable)
        python = self.environment_dir() / "bin" / "python"
        if not python.is_file():
            build = f"run 'make {self.make_target}'" if self.make_target else "build it"
            raise FileNotFoundError(
                f"engine {self.name} runs in its own environment {self.environment}, which is "
                f"not built; {build} (or set {variable})"
            )
        return python

    def environment_dir(self) -> Path:
        if self.environment is None:
            raise ValueError(f"engine {self.name} has no environment of its own")
        package = self.factory.partition(":")[0].split(".")[0]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise PluginLoadError(f"cannot find the package {package} of engine {self.name}")
        return Path(next(iter(spec.submodule_search_locations))).parent / self.environment


def _discover(group: str, kind: type) -> tuple[dict[str, Any], dict[str, str]]:
    """(plug-ins by name, why each broken one could not be loaded)."""
    found: dict[str, Any] = {}
    broken: dict[str, str] = {}
    for entry in importlib.metadata.entry_points(group=group):
        try:
            plugin = entry.load()
        except Exception as error:  # a broken third-party package must not hide the rest
            broken[entry.name] = f"{group} plug-in {entry.name!r} ({entry.value}): {error}"
            _LOGGER.warning("skipping %s", broken[entry.name])
            continue
        if not isinstance(plugin, kind) or plugin.name != entry.name:
            broken[entry.name] = (
                f"{group} entry point {entry.name!r} must name a {kind.__name__} called "
                f"{entry.name!r}, got {plugin!r}"
            )
            _LOGGER.warning("skipping %s", broken[entry.name])
            continue
        found[entry.name] = plugin
    return dict(sorted(found.items())), broken


def adapters() -> dict[str, AdapterPlugin]:
    """Every installed adapter that loads, by name."""
    return _discover(ADAPTER_GROUP, AdapterPlugin)[0]


def engines() -> dict[str, EnginePlugin]:
    """Every installed engine that loads, by name."""
    return _discover(ENGINE_GROUP, EnginePlugin)[0]


def _named(group: str, kind: type, what: str, name: str) -> Any:
    found, broken = _discover(group, kind)
    if name in broken:
        raise PluginLoadError(broken[name])
    if name not in found:
        raise UnknownPluginError(what, name, list(found))
    return found[name]


def adapter(name: str) -> AdapterPlugin:
    plugin: AdapterPlugin = _named(ADAPTER_GROUP, AdapterPlugin, "adapter", name)
    return plugin


def engine(name: str) -> EnginePlugin:
    plugin: EnginePlugin = _named(ENGINE_GROUP, EnginePlugin, "engine", name)
    return plugin


def commands() -> dict[str, Any]:
    """Every extra CLI command plug-ins declare (``voicebus.commands``), by name; one that
    cannot be loaded is skipped with a warning."""
    found: dict[str, Any] = {}
    for entry in importlib.metadata.entry_points(group=COMMAND_GROUP):
        try:
            found[entry.name] = entry.load()
        except Exception as error:  # a broken plug-in must not break the whole command line
            _LOGGER.warning("skipping command %r (%s): %s", entry.name, entry.value, error)
    return dict(sorted(found.items()))
