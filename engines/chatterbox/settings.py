"""Settings of the Chatterbox engines (no heavy imports, so any environment can read them)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from engines.chatterbox import weights
from engines.cloning import CloningSettings, Device
from hub.models import WeightsManifest, WeightsSettings
from hub.models.locate import locate


class ChatterboxSettings(CloningSettings, WeightsSettings):
    chatterbox_model_dir: Path | None = Field(
        default=None,
        description="Directory with ve.safetensors, t3_cfg.safetensors, s3gen.safetensors, "
        "tokenizer.json (and conds.pt); unset: chatterbox_model_id from the model store "
        "('voicebus models pull chatterbox'), read offline.",
    )
    chatterbox_model_id: str = weights.REPO_ID
    chatterbox_revision: str = Field(default="main", description="Branch, tag or commit.")
    chatterbox_turbo_model_dir: Path | None = Field(
        default=None,
        description="Turbo: ve.safetensors, t3_turbo_v1.safetensors, s3gen_meanflow.safetensors "
        "and a Hugging Face tokenizer (and conds.pt); unset: the model store.",
    )
    chatterbox_turbo_model_id: str = weights.TURBO_REPO_ID
    chatterbox_turbo_revision: str = Field(default="main", description="Branch, tag or commit.")
    chatterbox_device: Device = "auto"
    chatterbox_exaggeration: float = Field(
        default=0.5, ge=0.0, le=2.0, description="Emotion exaggeration (standard model only)."
    )
    chatterbox_cfg_weight: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Classifier-free guidance (standard model only)."
    )
    chatterbox_temperature: float = Field(default=0.8, gt=0.0, le=2.0)
    max_request_chars: int = Field(
        default=600,
        ge=1,
        description="One request's text; Chatterbox makes at most about 40 s of audio at once.",
    )

    def weights_location(self, engine: str = "chatterbox") -> tuple[Path, str]:
        """(checkpoint directory, commit) to load; pulls first with ``auto_pull`` (light:
        no torch, so a missing checkpoint is reported before the model packages load)."""
        turbo = engine == "chatterbox-turbo"
        given = self.chatterbox_turbo_model_dir if turbo else self.chatterbox_model_dir
        manifest = self.weights_manifest(engine)
        return locate(
            manifest,
            self,
            given,
            nats=self,
            heartbeat_seconds=self.heartbeat_seconds,
            announce_as=self.engine_name or engine,
        )

    def weights_manifest(self, engine: str = "chatterbox") -> WeightsManifest:
        """The files ``from_local`` reads for ``chatterbox`` or ``chatterbox-turbo``."""
        if engine == "chatterbox-turbo":
            return WeightsManifest(
                engine=engine,
                repo_id=self.chatterbox_turbo_model_id,
                revision=self.chatterbox_turbo_revision,
                files=weights.TURBO_REQUIRED_FILES,
                optional=weights.TURBO_OPTIONAL_FILES,
                setting="chatterbox_turbo_model_dir",
            )
        return WeightsManifest(
            engine=engine,
            repo_id=self.chatterbox_model_id,
            revision=self.chatterbox_revision,
            files=weights.REQUIRED_FILES,
            optional=weights.OPTIONAL_FILES,
            setting="chatterbox_model_dir",
        )
