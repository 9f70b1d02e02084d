"""Settings of the XTTS engine (no heavy imports, so any environment can read them)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from engines.cloning import CloningSettings, Device
from engines.xtts.weights import OPTIONAL_FILES, REPO_ID, REQUIRED_FILES
from hub.models import WeightsManifest, WeightsSettings
from hub.models.locate import locate

DEFAULT_MODEL_ID = REPO_ID


class XttsSettings(CloningSettings, WeightsSettings):
    xtts_model_dir: Path | None = Field(
        default=None,
        description="Directory with config.json, model.pth, vocab.json (and speakers_xtts.pth); "
        "unset: xtts_model_id at xtts_revision from the model store ('voicebus models pull "
        "xtts'), read offline.",
    )
    xtts_model_id: str = Field(
        default=DEFAULT_MODEL_ID, description="Hugging Face repo id of the weights."
    )
    xtts_revision: str = Field(
        default="main", description="Branch, tag or commit of xtts_model_id to load."
    )
    xtts_device: Device = "auto"
    xtts_stream_chunk_size: int = Field(
        default=20, ge=1, description="GPT tokens per streamed chunk (smaller: earlier audio)."
    )

    def weights_location(self, engine: str = "xtts") -> tuple[Path, str]:
        """(checkpoint directory, commit) to load; pulls first with ``auto_pull`` (light:
        no torch, so a missing checkpoint is reported before the model packages load)."""
        manifest = self.weights_manifest(engine)
        return locate(
            manifest,
            self,
            self.xtts_model_dir,
            nats=self,
            heartbeat_seconds=self.heartbeat_seconds,
            announce_as=self.engine_name or engine,
        )

    def weights_manifest(self, engine: str = "xtts") -> WeightsManifest:
        """The files the XTTS loader reads, from the configured repository and revision."""
        return WeightsManifest(
            engine=engine,
            repo_id=self.xtts_model_id,
            revision=self.xtts_revision,
            files=REQUIRED_FILES,
            optional=OPTIONAL_FILES,
            setting="xtts_model_dir",
        )
