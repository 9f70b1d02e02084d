"""Where pulled weights live and whether engines may pull them (no I/O here).

Mixed into every engine's settings and the ``voicebus models`` command, so both agree on the
store: ``models_dir`` if set, else the Hugging Face cache (``HF_HUB_CACHE``, ``HF_HOME/hub``,
``~/.cache/huggingface/hub``), in its layout, so tools that read that cache see the same files.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from hub.settings import VoicebusSettings


class WeightsSettings(BaseModel):
    """The model store and auto-pull switch (``VOICEBUS_MODELS_DIR``, ``VOICEBUS_AUTO_PULL``)."""

    models_dir: Path | None = Field(
        default=None,
        description="Where 'voicebus models pull' puts weights and engines look for them "
        "(Hugging Face cache layout); unset: the Hugging Face cache.",
    )
    auto_pull: bool = Field(
        default=False,
        description="An engine started without its weights downloads them (with progress in "
        "the log, announcing 'loading'); off: it stops and names the command that pulls them.",
    )

    def store_root(self) -> Path:
        return self.models_dir if self.models_dir is not None else hugging_face_cache()


def hugging_face_cache() -> Path:
    """The Hugging Face hub cache directory, as huggingface_hub finds it."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "huggingface" / "hub"


class ModelsSettings(VoicebusSettings, WeightsSettings):
    """The ``voicebus models`` command's own settings (``VOICEBUS_MODELS_DIR``, config file)."""
