"""An adapter's settings: one key from a flag beats ``VOICEBUS_<NAME>_*``, which beats the
``[<name>]`` table, which beats the default; the file's top level is not the adapter's; a
flag or ``--set`` key the settings class does not have is an error, not ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.wyoming.settings import WyomingSettings
from hub import plugins
from hub.process.up import Hub, UpSettings
from hub.settings import CONFIG_ENV

PORT_ENV = "VOICEBUS_WYOMING_PORT"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "voicebus.toml"
    path.write_text("")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    monkeypatch.delenv(PORT_ENV, raising=False)
    return path


def test_flag_beats_env_beats_table_beats_default(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wyoming = plugins.adapter("wyoming")
    assert wyoming.make_settings({}).port == 10200  # the default
    config.write_text("[wyoming]\nport = 10301\n")
    assert wyoming.make_settings({}).port == 10301  # the table beats the default
    monkeypatch.setenv(PORT_ENV, "10302")
    assert wyoming.make_settings({}).port == 10302  # env beats the table
    assert wyoming.make_settings({"port": 10303}).port == 10303  # a flag beats all


def test_wyoming_ignores_a_top_level_port(config: Path) -> None:
    config.write_text("port = 9999\nworkers = 2\n\n[openai]\nport = 8123\n")
    assert WyomingSettings().port == 10200
    assert UpSettings().workers == 2  # the top level is still read by those it is for


def test_an_unknown_key_is_refused_with_the_valid_ones(config: Path) -> None:
    with pytest.raises(plugins.UnknownSettingError) as typo:
        plugins.adapter("wyoming").make_settings({"prot": 1})
    message = str(typo.value)
    assert message.startswith("unknown setting 'prot' for adapter wyoming; valid keys: ")
    assert "port" in message.split("valid keys: ")[1].split(", ")
    assert "\n" not in message


def test_up_refuses_a_typo_but_not_unknown_keys_in_env_or_file(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.write_text("[wyoming]\nport = 10301\nsomething_else = 1\n")
    monkeypatch.setenv("VOICEBUS_WYOMING_SOMETHING", "1")
    up = UpSettings(adapters=["wyoming"], adapter_options={"wyoming": {"port": 10305}})
    assert Hub(up).adapter_settings["wyoming"].port == 10305
    typo = UpSettings(adapters=["wyoming"], adapter_options={"wyoming": {"prot": 10305}})
    with pytest.raises(plugins.UnknownSettingError, match="'prot' for adapter wyoming"):
        Hub(typo)
