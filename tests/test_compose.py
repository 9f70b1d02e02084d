"""Compose files parse, and every image and command they name exists in the repo and CLI.
(No Docker engine runs here, so the images themselves are not built.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hub import plugins
from hub.cli import main
from hub.cli.plugin_commands import adapter_command, engine_command

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILES = sorted((ROOT / "compose").rglob("docker-compose.yml"))


def services(path: Path) -> dict[str, dict[str, object]]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict) and document.get("services"), path
    return document["services"]


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compose_file_names_real_things(path: Path) -> None:
    for name, service in services(path).items():
        build = service.get("build")
        if isinstance(build, dict):
            context = (path.parent / str(build["context"])).resolve()
            assert (context / str(build["dockerfile"])).is_file(), (name, build)
        command = service.get("command")
        if isinstance(command, list) and command and command[0] == "voicebus":
            check_voicebus_command(command[1:])


def check_voicebus_command(argv: list[str]) -> None:
    """The command parses as the CLI would parse it: real sub-command, real options."""
    if argv[0] == "engine":
        command = engine_command(plugins.engine(argv[1]))
    elif argv[0] == "adapter":
        command = adapter_command(plugins.adapter(argv[1]))
    else:
        command = main.commands[argv[0]]  # type: ignore[attr-defined]
        argv = [argv[0], *argv]
    command.make_context(argv[1], list(argv[2:]))


def test_profiles_split_cpu_and_gpu() -> None:
    main_file = services(ROOT / "compose" / "docker-compose.yml")
    assert "cpu" in main_file["piper"]["profiles"]  # type: ignore[operator]
    for gpu_engine in ("xtts", "chatterbox"):
        assert main_file[gpu_engine]["profiles"] == ["gpu"]


def test_dockerfiles_copy_only_what_exists() -> None:
    for dockerfile in (ROOT / "compose").glob("Dockerfile.*"):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY "):
                for source in line.split()[1:-1]:
                    assert (ROOT / source).exists(), (dockerfile.name, source)
