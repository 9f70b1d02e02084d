"""Command-line options derived from a plug-in's settings class, and ``--set KEY=VALUE``.

Every field of an adapter's or engine's settings class becomes ``--field-name`` (booleans
``--name/--no-name``, lists repeatable); fields a flag cannot express (tables) are set with
``--set key=value``, whose value is read as JSON when it parses (``--set
voice_aliases='{"alloy": "en_US-amy-medium"}'``, ``--set port=8001``) and as text otherwise.
Only what the user gave is passed on, so unset flags leave env, config file and defaults alone.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

SET_HELP = "KEY=VALUE for any setting (VALUE as JSON if it parses); repeatable."


def _unwrap(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` -> ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(args) != 1:
                return str
            annotation = args[0]
        else:
            return annotation


def _param_type(annotation: Any) -> click.ParamType | None:
    """The click type for one value of a field; None when a flag cannot express it."""
    if annotation is bool:
        return click.BOOL
    if annotation is int:
        return click.INT
    if annotation is float:
        return click.FLOAT
    if annotation in (str, SecretStr, Path):
        return click.STRING
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return click.Choice([str(member.value) for member in annotation])
    if typing.get_origin(annotation) is typing.Literal:
        return click.Choice([str(value) for value in typing.get_args(annotation)])
    return None


def _help(info: FieldInfo) -> str:
    text = info.description or ""
    if not info.is_required() and info.default_factory is None:
        default = info.default
        if isinstance(default, enum.Enum):
            default = default.value
        if default not in (None, "") and not isinstance(default, SecretStr):
            text = f"{text} [{default}]".strip()
    return text


def option_for(name: str, info: FieldInfo) -> click.Option | None:
    annotation = _unwrap(info.annotation)
    flag = "--" + name.replace("_", "-")
    if annotation is bool:
        return click.Option([f"{flag}/--no-{flag[2:]}", name], default=None, help=_help(info))
    if typing.get_origin(annotation) in (list, tuple, set):
        item = _param_type(_unwrap(typing.get_args(annotation)[0]))
        if item is None:
            return None
        return click.Option([flag, name], type=item, multiple=True, help=_help(info))
    param_type = _param_type(annotation)
    if param_type is None:
        return None
    return click.Option([flag, name], type=param_type, default=None, help=_help(info))


def options_for(settings_cls: type[BaseModel], skip: tuple[str, ...] = ()) -> list[click.Option]:
    """One option per field of ``settings_cls`` that a flag can express, plus ``--set``."""
    options = []
    for name, info in settings_cls.model_fields.items():
        option = None if name in skip else option_for(name, info)
        if option is not None:
            options.append(option)
    options.append(click.Option(["--set", "assignments"], multiple=True, help=SET_HELP))
    return options


def given(flags: dict[str, Any]) -> dict[str, Any]:
    """Only the flags the user gave."""
    return {key: value for key, value in flags.items() if value is not None and value != ()}


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignments(assignments: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``("port=8001", "voice_aliases.alloy=amy")`` -> ``{"port": 8001, "voice_aliases":
    {"alloy": "amy"}}``; dots make nested tables."""
    values: dict[str, Any] = {}
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{assignment!r} is not KEY=VALUE", param_hint="--set")
        *tables, last = [part.strip().replace("-", "_") for part in key.split(".")]
        target = values
        for table in tables:
            target = target.setdefault(table, {})
            if not isinstance(target, dict):
                raise click.BadParameter(f"{key!r} sets a value and a table", param_hint="--set")
        target[last] = parse_value(text)
    return values


def settings_values(flags: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments for a settings class: given flags, then ``--set`` on top."""
    assignments = flags.pop("assignments", ())
    return given(flags) | parse_assignments(assignments)
