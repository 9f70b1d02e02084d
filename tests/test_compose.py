"""Compose files parse, and every image and command they name exists in the repo and CLI.
(No Docker engine runs here, so the images themselves are not built.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters import registry as adapters
from engines import registry as engines
from hub.cli import main

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
    subcommand = main.commands.get(argv[0])  # type: ignore[attr-defined]
    assert subcommand is not None, argv
    if argv[0] == "engine":
        assert argv[1] in engines.ENGINES, argv
    if argv[0] == "adapter":
        assert argv[1] in adapters.ADAPTERS, argv
    options = {opt for param in subcommand.params for opt in getattr(param, "opts", [])}
    for arg in argv[1:]:
        if arg.startswith("--"):
            assert arg in options, (argv, arg)


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
