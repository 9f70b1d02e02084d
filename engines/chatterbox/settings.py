"""Settings of the Chatterbox engines (no heavy imports, so any environment can read them)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from engines.cloning import CloningSettings, Device


class ChatterboxSettings(CloningSettings):
    chatterbox_model_dir: Path | None = Field(
        default=None,
        description="Directory with ve.safetensors, t3_cfg.safetensors, s3gen.safetensors, "
        "tokenizer.json (and conds.pt); unset: the Hugging Face cache, read offline.",
    )
    chatterbox_model_id: str = "ResembleAI/chatterbox"
    chatterbox_turbo_model_dir: Path | None = Field(
        default=None,
        description="Turbo: ve.safetensors, t3_turbo_v1.safetensors, s3gen_meanflow.safetensors "
        "and a Hugging Face tokenizer (and conds.pt); unset: the Hugging Face cache.",
    )
    chatterbox_turbo_model_id: str = "ResembleAI/chatterbox-turbo"
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
