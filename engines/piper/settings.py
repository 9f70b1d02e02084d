"""Settings of the Piper engine (no heavy imports, so the CLI can list them anywhere)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from hub.engine.runner import RunnerSettings


class PiperSettings(RunnerSettings):
    voices_dir: Path | None = Field(
        default=None, description="Directory searched for extra Piper voices (*.onnx + .json)."
    )
    threads: int = Field(
        default=0, ge=0, description="onnxruntime threads per inference; 0 = all cores."
    )
