"""Which Python runs each engine: heavy engines live in their own virtualenvs.

``voicebus up --engine xtts`` (the supervisor) asks :func:`engine_python` for the interpreter
to start ``-m hub.cli engine xtts`` with. No heavy imports here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# engine name -> (virtualenv directory under the project, make target that builds it)
ENVIRONMENTS: dict[str, tuple[str, str]] = {
    "xtts": (".venv-xtts", "engine-env-xtts"),
    "chatterbox": (".venv-chatterbox", "engine-env-chatterbox"),
    "chatterbox-turbo": (".venv-chatterbox", "engine-env-chatterbox"),
}


def engine_python(name: str) -> Path:
    """The interpreter for engine ``name``.

    ``VOICEBUS_<NAME>_PYTHON`` (e.g. ``VOICEBUS_CHATTERBOX_TURBO_PYTHON``) wins; then the
    engine's virtualenv in the project; engines without one run on this Python.
    """
    override = os.environ.get(f"VOICEBUS_{name.upper().replace('-', '_')}_PYTHON")
    if override:
        return Path(override)
    if name not in ENVIRONMENTS:
        return Path(sys.executable)
    venv, target = ENVIRONMENTS[name]
    python = ROOT / venv / "bin" / "python"
    if not python.is_file():
        raise FileNotFoundError(
            f"engine {name} runs in its own environment {venv}, which is not built; "
            f"run 'make {target}' (or set VOICEBUS_{name.upper().replace('-', '_')}_PYTHON)"
        )
    return python
