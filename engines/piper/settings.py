"""Settings of the Piper engine (no heavy imports, so the CLI can list them anywhere)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from engines.piper import weights
from hub.engine.runner import RunnerSettings
from hub.models import VoiceCollection, WeightsSettings


class PiperSettings(RunnerSettings, WeightsSettings):
    voices_dir: Path | None = Field(
        default=None, description="Directory searched for extra Piper voices (*.onnx + .json)."
    )
    piper_voices_repo: str = Field(
        default=weights.REPO_ID,
        description="Hugging Face repository of the voice collection 'voicebus models pull "
        "piper:VOICE' reads; voices pulled from it are served from the model store.",
    )
    piper_voices_revision: str = Field(default="main", description="Its branch, tag or commit.")
    voices_rescan_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often voices_dir and the model store are checked for new or removed "
        "voices (served without a restart); 0 = only at start.",
    )
    threads: int = Field(
        default=0, ge=0, description="onnxruntime threads per inference; 0 = all cores."
    )

    def voice_collection(self) -> VoiceCollection:
        """The collection ``voicebus models pull piper:VOICE`` reads."""
        return VoiceCollection(
            engine="piper",
            repo_id=self.piper_voices_repo,
            catalogue=weights.CATALOGUE,
            parse=weights.parse_catalogue,
            revision=self.piper_voices_revision,
        )
