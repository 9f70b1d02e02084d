"""Settings every engine worker has (``VOICEBUS_*``); engine settings classes extend them."""

from __future__ import annotations

from pydantic import Field

from hub.contract.schemas import MAX_CHUNK_BYTES
from hub.settings import NatsOptions, VoicebusSettings


class RunnerSettings(VoicebusSettings, NatsOptions):
    """Settings every engine worker has; engine settings classes extend this."""

    engine_name: str | None = Field(
        default=None, description="Serve under this name instead of the engine's own."
    )
    concurrency: int = Field(default=1, ge=1, description="Inference slots in this worker.")
    max_queue: int = Field(default=64, ge=1, description="Queued requests before overload.")
    max_request_chars: int = Field(
        default=5000,
        ge=1,
        description="Characters of one request (a sentence); the client's max_text_chars "
        "limits a whole text.",
    )
    heartbeat_seconds: float = Field(default=2.0, gt=0)
    keepalive_seconds: float = Field(default=1.0, gt=0)
    drain_seconds: float = Field(default=30.0, ge=0)
    chunk_bytes: int = Field(default=32 * 1024, ge=1024, le=MAX_CHUNK_BYTES)
    load_on_demand: bool = Field(default=True, description="Load an unloaded model on request.")
    keep_warm: bool = Field(default=False, description="Never unload when idle.")
    idle_unload_seconds: float = Field(
        default=0.0, ge=0, description="Unload the model after this long idle; 0 = never."
    )
