"""Settings shared by every voicebus process.

Each process has one pydantic-settings class (see the ``*Settings`` classes next to the code
they configure), built once in the CLI and passed in. Values come from, highest first:
command-line flags, ``VOICEBUS_*`` environment variables, a TOML config file named by
``VOICEBUS_CONFIG`` (or ``--config``), then defaults. One config file can hold the keys of
every process: each class reads the keys it knows and ignores the rest.

Adapters are the exception that keeps that true: several run in one process, so each reads
only its own names, derived from its plug-in name: ``VOICEBUS_<NAME>_*`` variables and the
``[<name>]`` table (:class:`AdapterSettings`). The NATS options and the hub client's keys stay
at the top level, shared by all.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_ENV = "VOICEBUS_CONFIG"


class NatsOptions(BaseModel):
    """How to reach NATS; mixed into every process's settings."""

    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        description="NATS server URL(s), comma separated for a cluster.",
    )
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    nats_token: SecretStr | None = None
    nats_creds: Path | None = Field(default=None, description="NATS .creds file (JWT + nkey).")
    nats_nkey_seed: Path | None = Field(default=None, description="File holding an nkey seed.")
    nats_connect_wait: float = Field(
        default=10.0, gt=0, description="Seconds to wait for NATS at start-up before failing."
    )
    nats_tls_ca: Path | None = None
    nats_tls_cert: Path | None = None
    nats_tls_key: Path | None = None
    subject_prefix: str = Field(default="voicebus", pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


class AdapterSettings(BaseSettings):
    """Base of every adapter's settings: ``VOICEBUS_<NAME>_*`` variables (nested keys with
    ``__``), then the ``[<name>]`` table of the config file, then defaults; ``NAME`` is the
    class's ``adapter_name`` (the plug-in name, ``-`` read as ``_`` in variable names)."""

    adapter_name: ClassVar[str] = ""
    model_config = SettingsConfigDict(extra="ignore")

    @classmethod
    def env_prefix(cls) -> str:
        return f"VOICEBUS_{cls.adapter_name.upper().replace('-', '_')}_"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if not cls.adapter_name:
            raise TypeError(f"{cls.__name__} must set adapter_name")
        env = EnvSettingsSource(
            settings_cls, env_prefix=cls.env_prefix(), env_nested_delimiter="__"
        )
        table = config_file_sources(settings_cls, table=cls.adapter_name, top_level=False)
        return (init_settings, env, *table)


class CacheSettings(AdapterSettings):
    """The audio cache (docs/cache.md): ``VOICEBUS_CACHE_*`` variables, then the ``[cache]``
    table of the config file, then defaults; flags (``--set cache.KEY=VALUE``) above all."""

    adapter_name: ClassVar[str] = "cache"

    enabled: bool = Field(default=True, description="Serve repeated sentences from the cache.")
    budget_bytes: int = Field(
        default=256 * 1024 * 1024, ge=64 * 1024, description="Bytes of clips kept; oldest go first."
    )
    large_budget_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=64 * 1024,
        description="Bytes of the rare clips above the NATS message size (object store).",
    )
    ttl_seconds: float = Field(
        default=30 * 24 * 3600.0, gt=0, description="A clip is dropped this long after it was made."
    )
    bucket: str = Field(
        default="voicebus-cache",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Key-value bucket of the clips (big ones: object store '<bucket>-large').",
    )


class _Without(PydanticBaseSettingsSource):
    """A settings source minus some top-level keys."""

    def __init__(self, source: PydanticBaseSettingsSource, *keys: str) -> None:
        super().__init__(source.settings_cls)
        self._source = source
        self._keys = frozenset(keys)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return {key: value for key, value in self._source().items() if key not in self._keys}


class VoicebusSettings(BaseSettings):
    """Base class: ``VOICEBUS_`` env prefix and the optional TOML config file."""

    model_config = SettingsConfigDict(env_prefix="VOICEBUS_", extra="ignore")

    cache: CacheSettings = Field(
        default_factory=CacheSettings, description="The audio cache (VOICEBUS_CACHE_*)."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The [cache] table is read by CacheSettings itself (under its variables), so the
        # file's top level must not hand it over as a value that would outrank them.
        files = [_Without(source, "cache") for source in config_file_sources(settings_cls)]
        return (init_settings, env_settings, *files)


def config_file_sources(
    settings_cls: type[BaseSettings], table: str | None = None, *, top_level: bool = True
) -> list[PydanticBaseSettingsSource]:
    """The TOML file named by ``VOICEBUS_CONFIG``: its ``[table]`` first (when given), then its
    top level (unless ``top_level`` is false). Nothing when no file is configured; a clear
    error when it is missing."""
    config_file = os.environ.get(CONFIG_ENV)
    if not config_file:
        return []
    path = Path(config_file)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} (from {CONFIG_ENV}) does not exist")
    sources: list[PydanticBaseSettingsSource] = []
    if table and table in _read_toml(path):
        sources.append(
            TomlConfigSettingsSource(settings_cls, toml_file=path, toml_table_header=(table,))
        )
    if top_level:
        sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
    return sources


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"config file {path} is not valid TOML: {error}") from None


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "voicebus"
