"""Settings of the XTTS engine (no heavy imports, so any environment can read them)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from engines.cloning import CloningSettings, Device

DEFAULT_MODEL_ID = "coqui/XTTS-v2"


class XttsSettings(CloningSettings):
    xtts_model_dir: Path | None = Field(
        default=None,
        description="Directory with config.json, model.pth, vocab.json (and speakers_xtts.pth); "
        "unset: the Hugging Face cache of xtts_model_id, read offline.",
    )
    xtts_model_id: str = Field(
        default=DEFAULT_MODEL_ID, description="Hugging Face repo id looked up in the local cache."
    )
    xtts_device: Device = "auto"
    xtts_stream_chunk_size: int = Field(
        default=20, ge=1, description="GPT tokens per streamed chunk (smaller: earlier audio)."
    )
