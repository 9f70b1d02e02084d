"""``voicebus adapter NAME`` and ``voicebus engine NAME``: one plug-in against any NATS.

Each installed plug-in is a sub-command whose options come from its settings class
(:mod:`hub.cli.options`), so ``voicebus adapter openai --help`` lists every key the
adapter has, and a new plug-in needs nothing here.
"""

from __future__ import annotations

from typing import Any

import click

from hub import plugins
from hub.cli.common import NATS_HELP, nats_overrides, one_line_errors, run
from hub.cli.options import options_for, settings_values


class PluginGroup(click.Group):
    """A group whose commands are the installed plug-ins of one kind."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    def _plugins(self) -> dict[str, Any]:
        return plugins.adapters() if self.kind == "adapter" else plugins.engines()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self._plugins())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        plugin = self._plugins().get(name)
        if plugin is None:
            return None
        maker = adapter_command if self.kind == "adapter" else engine_command
        try:
            return maker(plugin)
        except plugins.PluginLoadError as error:  # e.g. an engine of another environment
            return unavailable_command(name, error)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        command = self.get_command(ctx, name)
        if command is None:
            known = list(self._plugins())
            raise click.UsageError(str(plugins.UnknownPluginError(self.kind, name, known)), ctx)
        return name, command, args[1:]


def adapter_command(plugin: plugins.AdapterPlugin) -> click.Command:
    settings_cls = plugin.settings_class()

    @one_line_errors
    def serve(nats_url: str | None, **flags: Any) -> None:
        from hub.client import ClientSettings
        from hub.process.up import run_adapter

        settings = plugin.make_settings(settings_values(flags))
        run(run_adapter(plugin, settings, ClientSettings(**nats_overrides(nats_url))))

    params: list[click.Parameter] = [click.Option(["--nats-url"], help=NATS_HELP)]
    return click.Command(
        plugin.name,
        callback=serve,
        params=params + options_for(settings_cls),
        help=f"Run the {plugin.name} adapter: {plugin.description}.\n\n"
        f"Every option is also VOICEBUS_{plugin.name.upper().replace('-', '_')}_<KEY> or "
        f"KEY in the [{plugin.name}] table of the config file.",
        short_help=plugin.description,
    )


def engine_command(plugin: plugins.EnginePlugin) -> click.Command:
    settings_cls = plugin.settings_class()

    @one_line_errors
    def serve(**flags: Any) -> None:
        from hub.process.worker import serve_engine

        settings = plugin.make_settings(settings_values(flags))
        run(serve_engine(plugin, settings))

    return click.Command(
        plugin.name,
        callback=serve,
        params=options_for(settings_cls),
        help=f"Run one worker of the {plugin.name} engine: {plugin.description}.\n\n"
        "Every option is also VOICEBUS_<KEY> or KEY in the config file.",
        short_help=plugin.description,
    )


def unavailable_command(name: str, error: Exception) -> click.Command:
    def fail() -> None:
        raise click.ClickException(str(error))

    return click.Command(name, callback=fail, short_help="cannot be loaded in this environment")


adapter = PluginGroup(
    "adapter",
    name="adapter",
    help="Run one adapter (see the commands below) against a NATS server.",
)
engine = PluginGroup(
    "engine",
    name="engine",
    help="Run one engine worker (see the commands below) against a NATS server.",
)
