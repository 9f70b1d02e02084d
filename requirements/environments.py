#!/usr/bin/env python3
"""Locked environments: resolve, check and build every virtualenv voicebus uses.

    python3 requirements/environments.py lock [--upgrade PKG]...   regenerate every lock
    python3 requirements/environments.py check                     fail if a lock is stale
    python3 requirements/environments.py build NAME VENV           build one env from its lock

Locks (every one ends in ``.lock``, exact versions of every package):

* ``uv.lock``: the project's own environment (.venv), from pyproject.toml (``uv lock``);
* ``requirements/<name>.lock``: one per table of ``requirements/environments.toml``
  (``uv pip compile``), whose first line records a hash of that table's inputs and of how it
  is compiled, and whose second line a hash of the rest of the file (so a hand edit is seen);
* the EXPORTS below: uv.lock's packages for one set of extras, for container images that
  install with plain pip (``uv export``).

Standard library only: it runs before any environment exists. uv comes from ``--uv``, the
``UV`` variable, or ``.venv-uv/bin/uv`` (built by ``make`` from requirements/tools.lock).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "requirements"
ENVIRONMENTS = HERE / "environments.toml"
HEADER = "# voicebus-lock-inputs: "
BODY = "# voicebus-lock-body: "
LOCK_FORMAT = 2  # bump when the way a lock is compiled changes, so every lock is redone
REGENERATE = "make lock"
PLATFORMS = {"linux-x86_64": ["--python-platform", "x86_64-unknown-linux-gnu"]}
PYTHON_VERSION = "3.11"

# lock file -> extras of uv.lock it holds (the project itself is installed --no-deps beside it)
EXPORTS: dict[str, list[str]] = {
    "requirements/hub.lock": ["openai", "wyoming", "discord", "slack", "twilio"],
    "requirements/piper.lock": ["piper"],
    "integrations/homeassistant/voicebus/requirements.lock": ["piper", "wyoming"],
}


class StaleLock(Exception):
    """A lock no longer matches its inputs."""


def environments() -> dict[str, dict]:
    with ENVIRONMENTS.open("rb") as f:
        return tomllib.load(f)


def project_dependencies() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def lock_path(name: str) -> Path:
    return HERE / f"{name}.lock"


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def compile_settings(spec: dict) -> dict:
    """How a table is resolved, besides what it asks for: a change here changes the lock too."""
    platform = spec.get("platform", "linux-x86_64")
    flags = ["--universal"] if platform == "universal" else PLATFORMS[platform]
    return {"format": LOCK_FORMAT, "python": PYTHON_VERSION, "platform": flags}


def inputs_digest(spec: dict) -> str:
    """A hash of everything that decides an environment's lock."""
    inputs = dict(
        spec,
        project_dependencies=project_dependencies() if spec.get("project") else [],
        compile=compile_settings(spec),
    )
    return sha256(json.dumps(inputs, sort_keys=True, separators=(",", ":")))


def recorded_digests(lock: Path) -> tuple[str | None, str | None, str]:
    """The inputs hash and body hash a lock records, and the body they cover."""
    if not lock.is_file():
        return None, None, ""
    lines = lock.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n") if lines else ""
    inputs = header.removeprefix(HEADER) if header.startswith(HEADER) else None
    second = lines[1].rstrip("\n") if len(lines) > 1 else ""
    if not second.startswith(BODY):
        return inputs, None, "".join(lines[1:])
    return inputs, second.removeprefix(BODY), "".join(lines[2:])


def torch_source() -> list[str]:
    """Where torch's CPU wheel comes from: a local folder of wheels, else PyTorch's CPU index."""
    wheels = os.environ.get("VOICEBUS_TORCH_WHEELS", "/opt/wheels")
    if Path(wheels).is_dir():
        return ["--find-links", wheels]
    return ["--torch-backend", "cpu"]


def find_uv(given: str | None) -> str:
    uv = given or os.environ.get("UV") or str(ROOT / ".venv-uv" / "bin" / "uv")
    found = shutil.which(uv)
    if not found:
        sys.exit(f"uv not found at {uv}: run 'make uv' (or pass --uv)")
    return str(Path(found).resolve())


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kwargs)


# ---- lock ------------------------------------------------------------------------------------


def compile_environment(uv: str, name: str, spec: dict, upgrade: list[str]) -> None:
    lock = lock_path(name)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        requirements = list(spec["requirements"])
        if spec.get("project"):
            requirements += project_dependencies()
        (work / f"{name}.in").write_text("\n".join(requirements) + "\n")
        cmd = [uv, "pip", "compile", f"{name}.in", "-o", str(lock), "--quiet"]
        cmd += ["--custom-compile-command", REGENERATE, "--python-version", PYTHON_VERSION]
        for key, flag in (("overrides", "--overrides"), ("excludes", "--excludes")):
            if spec.get(key):
                (work / f"{name}-{key}.in").write_text("\n".join(spec[key]) + "\n")
                cmd += [flag, f"{name}-{key}.in"]
        platform = spec.get("platform", "linux-x86_64")
        cmd += ["--universal"] if platform == "universal" else PLATFORMS[platform]
        if spec.get("hashes"):
            cmd.append("--generate-hashes")
        if spec.get("torch") == "cpu":
            cmd += torch_source()
        for package in upgrade:
            cmd += ["--upgrade-package", package]
        run(cmd, cwd=work)
    body = lock.read_text()
    lock.write_text(HEADER + inputs_digest(spec) + "\n" + BODY + sha256(body) + "\n" + body)
    print(f"locked {lock.relative_to(ROOT)}")


def export(uv: str, extras: list[str]) -> str:
    cmd = [uv, "export", "--frozen", "--no-emit-project", "--no-dev", "--quiet"]
    for extra in extras:
        cmd += ["--extra", extra]
    return run(cmd, cwd=ROOT, capture_output=True, text=True).stdout


def lock_all(uv: str, upgrade: list[str]) -> None:
    cmd = [uv, "lock"] + [arg for package in upgrade for arg in ("--upgrade-package", package)]
    run(cmd, cwd=ROOT)
    for path, extras in EXPORTS.items():
        (ROOT / path).write_text(export(uv, extras))
        print(f"exported {path}")
    for name, spec in environments().items():
        compile_environment(uv, name, spec, upgrade)


# ---- check -----------------------------------------------------------------------------------


def check_environment(name: str, spec: dict) -> None:
    lock = lock_path(name)
    shown = f"requirements/{lock.name}"
    inputs, body_digest, body = recorded_digests(lock)
    if inputs is None:
        raise StaleLock(f"{shown} is missing or has no inputs line")
    if inputs != inputs_digest(spec):
        what = "[" + name + "] in requirements/environments.toml"
        if spec.get("project"):
            what += " or pyproject.toml's dependencies"
        what += " or how requirements/environments.py compiles it"
        raise StaleLock(f"{shown} is stale: {what} changed since it was locked")
    if body_digest is None:
        raise StaleLock(f"{shown} has no body line (locked by an older 'make lock')")
    if body_digest != sha256(body):
        raise StaleLock(f"{shown} was edited by hand since it was locked")


def check_all(uv: str) -> list[str]:
    """Every stale lock, in words (empty when all are current)."""
    problems = []
    for name, spec in environments().items():
        try:
            check_environment(name, spec)
        except StaleLock as stale:
            problems.append(str(stale))
    locked = subprocess.run([uv, "lock", "--check", "--quiet"], cwd=ROOT, capture_output=True)
    if locked.returncode != 0:
        problems.append("uv.lock is stale: pyproject.toml changed since it was locked")
    else:
        for path, extras in EXPORTS.items():
            file = ROOT / path
            if not file.is_file() or file.read_text() != export(uv, extras):
                problems.append(f"{path} does not match uv.lock")
    return problems


# ---- build -----------------------------------------------------------------------------------


def build(uv: str, name: str, venv: Path, python: str) -> None:
    spec = environments()[name]
    check_environment(name, spec)
    began = time.monotonic()
    run([uv, "venv", "--quiet", "--clear", "--python", python, str(venv)])
    target = ["--python", str(venv / "bin" / "python")]
    sync = [uv, "pip", "sync", "--quiet", *target, str(lock_path(name))]
    run(sync + (torch_source() if spec.get("torch") == "cpu" else []))
    if spec.get("torch") == "cpu":
        drop_cuda_only_libraries(venv)
    if spec.get("project"):
        run([uv, "pip", "install", "--quiet", "--no-deps", *target, "-e", str(ROOT)])
    if spec.get("imports"):
        run([str(venv / "bin" / "python"), "-c", f"import {spec['imports']}"])
    du = subprocess.run(["du", "-sh", str(venv)], capture_output=True, text=True).stdout.split()
    size = du[0] if du else "?"
    print(f"built {venv} for {name} in {time.monotonic() - began:.0f} s ({size})")


def drop_cuda_only_libraries(venv: Path) -> None:
    """torchaudio's compiled libraries need CUDA; its pure-Python functions work without them."""
    purelib = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    for library in (Path(purelib) / "torchaudio" / "lib").glob("*.so"):
        library.unlink()


# ---- command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uv", help="the uv executable [.venv-uv/bin/uv]")
    commands = parser.add_subparsers(dest="command", required=True)
    lock = commands.add_parser("lock", help="regenerate uv.lock, the exports and every env lock")
    lock.add_argument(
        "--upgrade",
        action="append",
        default=[],
        metavar="PKG",
        help="let PKG move to its newest allowed version (repeatable)",
    )
    commands.add_parser("check", help="exit 1 naming every lock older than its inputs")
    build_cmd = commands.add_parser("build", help="build one environment from its lock")
    build_cmd.add_argument("name", choices=sorted(environments()))
    build_cmd.add_argument("venv", type=Path)
    build_cmd.add_argument("--python", default=sys.executable, help="the base interpreter")
    args = parser.parse_args(argv)
    uv = find_uv(args.uv)
    try:
        if args.command == "lock":
            lock_all(uv, args.upgrade)
        elif args.command == "check":
            problems = check_all(uv)
            for problem in problems:
                print(
                    f"stale lock: {problem}; run '{REGENERATE}' and commit the result",
                    file=sys.stderr,
                )
            return 1 if problems else 0
        else:
            build(uv, args.name, args.venv, args.python)
    except StaleLock as stale:
        print(f"{stale}; run '{REGENERATE}' and commit the result", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as failed:
        print(f"failed ({failed.returncode}): {' '.join(map(str, failed.cmd))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
