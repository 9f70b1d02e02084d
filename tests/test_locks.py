"""Every environment installs from a current lock with exact versions (requirements/)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
UV = ROOT / ".venv-uv" / "bin" / "uv"
PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?==[^\s;=<>!~]+( ;.*)?( \\)?$")


def load_environments() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "environments", ROOT / "requirements" / "environments.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("environments", module)
    spec.loader.exec_module(module)
    return module


environments = load_environments()


def every_lock() -> list[Path]:
    locks = [environments.lock_path(name) for name in environments.environments()]
    return locks + [ROOT / path for path in environments.EXPORTS]


@pytest.fixture(scope="module")
def uv() -> str:
    if not UV.is_file():
        pytest.fail(f"{UV} is missing: 'make test' installs it (make uv)")
    return str(UV)


def test_every_lock_is_current(uv: str) -> None:
    assert environments.check_all(uv) == []


@pytest.mark.parametrize("lock", every_lock(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_requirement_is_one_exact_version(lock: Path) -> None:
    requirements = [
        line
        for line in lock.read_text().splitlines()
        if line and not line.startswith((" ", "#", "-"))
    ]
    assert requirements, lock
    loose = [line for line in requirements if not PINNED.match(line)]
    assert loose == []


def test_a_changed_input_makes_its_lock_stale() -> None:
    name, spec = "xtts", environments.environments()["xtts"]
    environments.check_environment(name, spec)  # current as committed
    changed = dict(spec, requirements=[*spec["requirements"], "requests"])
    with pytest.raises(environments.StaleLock, match=r"requirements/xtts\.lock is stale"):
        environments.check_environment(name, changed)


def test_project_dependencies_are_inputs_of_engine_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = environments.environments()["xtts"]
    before = environments.inputs_digest(spec)
    deps = environments.project_dependencies()
    monkeypatch.setattr(environments, "project_dependencies", lambda: [*deps, "requests"])
    assert environments.inputs_digest(spec) != before
    with pytest.raises(environments.StaleLock, match=r"pyproject\.toml"):
        environments.check_environment("xtts", spec)


def test_a_lock_without_its_inputs_line_is_stale(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(environments, "HERE", tmp_path)
    (tmp_path / "xtts.lock").write_text("torch==2.13.0\n")
    with pytest.raises(environments.StaleLock, match="no inputs line"):
        environments.check_environment("xtts", environments.environments()["xtts"])


def test_a_changed_compile_setting_makes_every_env_lock_stale(monkeypatch) -> None:
    spec = environments.environments()["xtts"]
    environments.check_environment("xtts", spec)
    monkeypatch.setattr(environments, "PYTHON_VERSION", "3.12")
    with pytest.raises(environments.StaleLock, match=r"how requirements/environments\.py"):
        environments.check_environment("xtts", spec)


def test_a_hand_edited_lock_is_caught(tmp_path: Path, monkeypatch) -> None:
    text = environments.lock_path("xtts").read_text()
    edited = text.replace("\ntransformers==5.23.0\n", "\ntransformers==5.24.0\n")
    assert edited != text
    monkeypatch.setattr(environments, "HERE", tmp_path)
    (tmp_path / "xtts.lock").write_text(edited)
    with pytest.raises(environments.StaleLock, match="edited by hand"):
        environments.check_environment("xtts", environments.environments()["xtts"])


def test_a_stale_uv_lock_is_named(uv: str, tmp_path: Path, monkeypatch) -> None:
    """A copy of the project whose pyproject.toml gained a dependency without 'make lock'."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("uv.lock", "README.md"):
        (copy / name).write_bytes((ROOT / name).read_bytes())
    pyproject = (ROOT / "pyproject.toml").read_text()
    changed = pyproject.replace('"numpy>=1.26",', '"numpy>=1.26",\n    "requests>=2",', 1)
    assert changed != pyproject
    (copy / "pyproject.toml").write_text(changed)
    monkeypatch.setattr(environments, "ROOT", copy)
    monkeypatch.setattr(environments, "environments", lambda: {})
    assert environments.check_all(uv) == [
        "uv.lock is stale: pyproject.toml changed since it was locked"
    ]


def test_engine_locks_keep_the_local_cpu_torch() -> None:
    for name in ("xtts", "chatterbox"):
        text = environments.lock_path(name).read_text()
        assert "\ntorch==2.13.0+cpu\n" in text, name
        assert "\nnvidia-" not in text, name


INSTALL = re.compile(r"(?:\bpip3?|\buv pip) install ([^&\n]*)")
PROJECT = re.compile(r"(?:^|\s)[\"']?(?:\.|\$\{?VOICEBUS_PACKAGE\}?|voicebus\S*)[\"']?(?:\s|$)")


def install_from_a_lock(install: str) -> bool:
    """One install line of an image: from a lock, or the project itself without dependencies."""
    if re.search(r"-r \S+\.lock\b", install):
        return True
    return "--no-deps" in install and bool(PROJECT.search(install))


def test_the_image_check_refuses_what_is_not_locked() -> None:
    assert not install_from_a_lock("--no-cache-dir --no-deps torch")
    assert not install_from_a_lock("--no-cache-dir requests")
    assert not install_from_a_lock("-r requirements/xtts.txt")
    assert install_from_a_lock("--no-cache-dir --require-hashes -r requirements/hub.lock")
    assert install_from_a_lock("--no-cache-dir --no-deps .")
    assert install_from_a_lock('--no-deps --find-links /tmp/wheels "${VOICEBUS_PACKAGE}" ')
    assert INSTALL.findall("RUN uv pip install torch && pip3 install x") == ["torch ", "x"]


def test_images_install_only_from_locks() -> None:
    dockerfiles = [*(ROOT / "compose").glob("Dockerfile.*")]
    dockerfiles.append(ROOT / "integrations" / "homeassistant" / "voicebus" / "Dockerfile")
    for dockerfile in dockerfiles:
        text = dockerfile.read_text().replace("\\\n", " ")
        installs = INSTALL.findall(text)
        assert installs, dockerfile
        for install in installs:
            assert install_from_a_lock(install), (dockerfile.name, install)
