"""Settings precedence: flags (init values) > VOICEBUS_* environment > TOML file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.client import ClientSettings
from hub.process.up import UpSettings, worker_plan
from hub.settings import CONFIG_ENV


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "voicebus.toml"
    config.write_text(
        'nats_url = "nats://from-file:4222"\nmax_in_flight = 5\n'
        'nats_password = "file-secret"\nworkers = 3\n'
        'fallbacks = { chatterbox = ["piper"] }\n'
    )
    monkeypatch.setenv(CONFIG_ENV, str(config))
    monkeypatch.setenv("VOICEBUS_MAX_IN_FLIGHT", "4")
    settings = ClientSettings(idle_timeout=9)
    assert settings.nats_url == "nats://from-file:4222"  # file
    assert settings.max_in_flight == 4  # env beats file
    assert settings.idle_timeout == 9  # flag beats everything
    assert settings.fallbacks == {"chatterbox": ["piper"]}
    assert settings.nats_password is not None
    assert "file-secret" not in repr(settings)  # secrets never print
    assert UpSettings().workers == 3  # one file serves every process


def test_missing_config_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, "/nowhere/voicebus.toml")
    with pytest.raises(FileNotFoundError, match=r"/nowhere/voicebus\.toml"):
        ClientSettings()


def test_worker_plan_defaults() -> None:
    assert worker_plan(0, 0, cores=2) == (1, 2)
    assert worker_plan(0, 0, cores=8) == (2, 4)
    assert worker_plan(2, 0, cores=2) == (2, 1)
    assert worker_plan(1, 3, cores=2) == (1, 3)
