"""A local Hub (``fake_hub``) and ``voicebus models`` run against it (``models_cli``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from hub.cli import main
from tests.hub.models.fake_hub import FakeHub

ModelsCli = Callable[..., Result]


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    hub = FakeHub().start()
    yield hub
    hub.stop()


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def models_cli(fake_hub: FakeHub, models_dir: Path) -> ModelsCli:
    """``voicebus models ARGS`` in this process, against the fake Hub and a fresh store."""

    def run(*args: str, token: str | None = None, **env: str) -> Result:
        environ = {
            "HF_ENDPOINT": fake_hub.endpoint,
            "HF_TOKEN": token or "",
            "HF_HOME": str(models_dir.parent / "hf-home"),
            "VOICEBUS_MODELS_DIR": str(models_dir),
            **env,
        }
        return CliRunner().invoke(main, ["models", *args], env=environ, catch_exceptions=False)

    return run


def listed(models_cli: ModelsCli) -> dict[str, Any]:
    """``voicebus models list --json`` by target."""
    result = models_cli("list", "--json")
    assert result.exit_code == 0, result.output
    return {row["target"]: row for row in json.loads(result.stdout)}
