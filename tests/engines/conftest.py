"""Heavy engines under test: each runs from its own virtual environment, on a tiny random
checkpoint built (and cached) by the tests in the exact layout its loader reads.

The test process stays in the main environment and talks to the engines over NATS only.

Environment variables:
  VOICEBUS_TEST_XTTS_DIR, VOICEBUS_TEST_CHATTERBOX_DIR, VOICEBUS_TEST_CHATTERBOX_TURBO_DIR
      a real checkpoint directory to test instead of the tiny random one (no token cap then)
  VOICEBUS_TEST_CACHE
      where built test checkpoints are kept between runs [~/.cache/voicebus/test-checkpoints]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub import plugins
from hub.process.natsserver import NatsServer
from tests.conftest import EngineProcess

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class HeavyEngine:
    name: str
    builder: str
    model_dir_env: str
    real_dir_env: str
    max_tokens: int

    @property
    def venv(self) -> str:
        return plugins.engine(self.name).environment or ""

    @property
    def make_target(self) -> str:
        return plugins.engine(self.name).make_target or ""


HEAVY = {
    spec.name: spec
    for spec in (
        HeavyEngine(
            "xtts", "build_xtts.py", "VOICEBUS_XTTS_MODEL_DIR", "VOICEBUS_TEST_XTTS_DIR", 40
        ),
        HeavyEngine(
            "chatterbox",
            "build_chatterbox.py",
            "VOICEBUS_CHATTERBOX_MODEL_DIR",
            "VOICEBUS_TEST_CHATTERBOX_DIR",
            30,
        ),
        HeavyEngine(
            "chatterbox-turbo",
            "build_chatterbox.py",
            "VOICEBUS_CHATTERBOX_TURBO_MODEL_DIR",
            "VOICEBUS_TEST_CHATTERBOX_TURBO_DIR",
            30,
        ),
    )
}
SEED = "1234"


def engine_python(spec: HeavyEngine) -> Path:
    python = ROOT / spec.venv / "bin" / "python"
    if not python.is_file():
        pytest.skip(f"{spec.name}: environment {spec.venv} not built (make {spec.make_target})")
    return python


def _cache_root() -> Path:
    """Outside the work tree, so fresh clones on the same machine (CI) reuse the builds."""
    if os.environ.get("VOICEBUS_TEST_CACHE"):
        return Path(os.environ["VOICEBUS_TEST_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "voicebus" / "test-checkpoints"


def checkpoint(spec: HeavyEngine) -> tuple[Path, bool]:
    """(checkpoint dir, is the tiny random one); built once and cached by builder content."""
    real = os.environ.get(spec.real_dir_env)
    if real:
        return Path(real), False
    python = engine_python(spec)
    builder = HERE / spec.builder
    key = hashlib.sha256(builder.read_bytes()).hexdigest()[:12]
    out = _cache_root() / f"{spec.name}-{key}"
    if not (out / "complete").is_file():
        partial = out.with_name(out.name + f".partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        began = time.monotonic()
        subprocess.run([str(python), str(builder), str(partial), spec.name], check=True)
        (partial / "complete").write_text(f"{time.monotonic() - began:.1f} s\n")
        shutil.rmtree(out, ignore_errors=True)
        partial.rename(out)
    return out, True


class VenvEngineProcess(EngineProcess):
    """``voicebus engine NAME`` from the engine's own environment, through the test harness."""

    def __init__(self, python: Path, url: str, name: str, log_dir: Path, **env: str) -> None:
        super().__init__(url, name, log_dir, **env)
        self.python = python

    def start(self) -> VenvEngineProcess:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(self.python), str(HERE / "harness.py"), self.name],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        log.close()
        return self


@dataclass
class RunningEngine:
    name: str
    process: EngineProcess
    token_log: Path | None
    tiny: bool

    def tokens(self) -> list[int]:
        """Speech tokens decoded per request so far (heavy engines under the harness)."""
        if self.token_log is None or not self.token_log.is_file():
            return []
        lines = self.token_log.read_text().splitlines()
        return [json.loads(line)["tokens"] for line in lines if line]


def start_heavy(name: str, nats_server: NatsServer, logs: Path) -> RunningEngine:
    spec = HEAVY[name]
    python = engine_python(spec)
    model_dir, tiny = checkpoint(spec)
    token_log = logs / f"{name}-tokens.jsonl"
    env = {
        spec.model_dir_env: str(model_dir),
        "VOICEBUS_TEST_TOKEN_LOG": str(token_log),
        "VOICEBUS_SYNTHESIS_SEED": SEED,
        "VOICEBUS_LIBRARY_REFRESH_SECONDS": "0.5",
        "HF_HUB_OFFLINE": "1",
    }
    if tiny:
        env["VOICEBUS_TEST_MAX_TOKENS"] = str(spec.max_tokens)
    process = VenvEngineProcess(python, nats_server.url, name, logs, **env).start()
    process.instance(timeout=240)
    return RunningEngine(name, process, token_log, tiny)


def _heavy_fixture(name: str):  # type: ignore[no-untyped-def]
    # package scope: the heavy workers (GBs of memory) stop when tests/engines is done
    @pytest.fixture(scope="package")
    def fixture(nats_server: NatsServer, engine_logs: Path) -> Iterator[RunningEngine]:
        engine = start_heavy(name, nats_server, engine_logs)
        yield engine
        engine.process.stop()
        print(f"--- {name} engine log (tail) ---\n{engine.process.log()[-3000:]}", file=sys.stderr)

    return fixture


xtts_engine = _heavy_fixture("xtts")
chatterbox_engine = _heavy_fixture("chatterbox")
chatterbox_turbo_engine = _heavy_fixture("chatterbox-turbo")


@pytest.fixture(scope="package")
def piper_running(piper_engine: EngineProcess) -> RunningEngine:
    return RunningEngine("piper", piper_engine, None, False)


ENGINE_FIXTURES = {
    "piper": "piper_running",
    "xtts": "xtts_engine",
    "chatterbox": "chatterbox_engine",
    "chatterbox-turbo": "chatterbox_turbo_engine",
}


@pytest.fixture(params=list(ENGINE_FIXTURES))
def any_engine(request: pytest.FixtureRequest) -> RunningEngine:
    """Every engine, one at a time (heavy ones skip when their environment is missing)."""
    engine: RunningEngine = request.getfixturevalue(ENGINE_FIXTURES[request.param])
    return engine
