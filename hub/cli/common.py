"""What every ``voicebus`` command shares: running a coroutine, and one-line errors."""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click

T = TypeVar("T")

NATS_HELP = "NATS server URL (env VOICEBUS_NATS_URL)."


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        sys.exit(130)


def nats_overrides(nats_url: str | None) -> dict[str, Any]:
    return {"nats_url": nats_url} if nats_url else {}


def one_line_errors(func: Callable[..., T]) -> Callable[..., T]:
    """Typed hub errors, bad settings and unknown plug-ins become one clear line (exit 1)
    instead of a traceback; with ``--debug`` the traceback is logged as well."""
    from pydantic import ValidationError

    from hub.contract.errors import VoicebusError
    from hub.plugins import PluginLoadError, UnknownPluginError

    expected = (
        VoicebusError,
        OSError,  # a taken port, a missing file, an unreachable server
        ValueError,
        ImportError,
        UnknownPluginError,
        PluginLoadError,
    )

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except ValidationError as error:
            raise click.ClickException(describe_validation(error)) from None
        except expected as error:
            logging.getLogger("voicebus").debug("command failed", exc_info=True)
            code = getattr(error, "code", None)
            message = str(error.args[0]) if isinstance(error, LookupError) else str(error)
            raise click.ClickException(f"({code}) {message}" if code else message) from None

    return wrapper


def describe_validation(error: Any) -> str:
    """``invalid settings: port: Input should be ... (got 'x')`` for each bad key."""
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "settings"
        problems.append(f"{key}: {item['msg']} (got {item.get('input')!r})")
    return f"invalid {error.title} settings: " + "; ".join(problems)
