"""Cache settings: VOICEBUS_CACHE_* variables and the config file's [cache] table, in every
process's settings; bad values are refused with the field's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.client import ClientSettings
from hub.engine.runner import RunnerSettings


def test_variables_and_the_config_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VOICEBUS_CACHE_ENABLED", "true")
    monkeypatch.setenv("VOICEBUS_CACHE_BUDGET_BYTES", "1000000")
    monkeypatch.setenv("VOICEBUS_CACHE_BUCKET", "from-env")
    cache = ClientSettings().cache
    assert (cache.enabled, cache.budget_bytes, cache.bucket) == (True, 1_000_000, "from-env")
    config = tmp_path / "voicebus.toml"
    config.write_text('max_in_flight = 2\n\n[cache]\nttl_seconds = 3600\nbucket = "shared"\n')
    monkeypatch.setenv("VOICEBUS_CONFIG", str(config))
    settings = ClientSettings()
    assert settings.max_in_flight == 2 and settings.cache.ttl_seconds == 3600
    assert settings.cache.bucket == "from-env"  # variables win over the file, as everywhere
    assert settings.cache.budget_bytes == 1_000_000
    monkeypatch.delenv("VOICEBUS_CACHE_BUCKET")
    assert ClientSettings().cache.bucket == "shared"  # the table, where no variable says
    assert RunnerSettings().cache.bucket == "shared"  # every process reads the same
    flagged = ClientSettings(cache={"bucket": "from-flag"}).cache  # --set cache.bucket=...
    assert (flagged.bucket, flagged.ttl_seconds) == ("from-flag", 3600)


@pytest.mark.parametrize(
    ("name", "value"),
    [("BUCKET", "no spaces"), ("BUDGET_BYTES", "10"), ("TTL_SECONDS", "0")],
)
def test_bad_values_name_the_field(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"VOICEBUS_CACHE_{name}", value)
    with pytest.raises(ValidationError, match=name.lower()):
        ClientSettings()
