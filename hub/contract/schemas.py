"""The bus contract: every message that crosses NATS, as pydantic models.

A synthesis request is JSON on ``<prefix>.synth.<engine>``. The answer streams to the
request's reply inbox as a sequence of messages whose kind travels in the
``Voicebus-Kind`` header: ``start``, ``chunk`` x N (raw PCM payload, ``Voicebus-Seq``
header), ``keepalive`` while the engine is busy, then ``end`` or ``error``.
See docs/bus.md for the wire-level description.
"""

from __future__ import annotations

import time
import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = "1"
"""Bumped on any incompatible change of the messages below."""

MAX_CHUNK_BYTES = 64 * 1024
"""Largest PCM payload one ``chunk`` message carries."""

KIND_HEADER = "Voicebus-Kind"
SEQ_HEADER = "Voicebus-Seq"
REQUEST_ID_HEADER = "Voicebus-Request-Id"
VERSION_HEADER = "Voicebus-Version"


class MessageKind(StrEnum):
    START = "start"
    CHUNK = "chunk"
    KEEPALIVE = "keepalive"
    END = "end"
    ERROR = "error"
    BUSY = "busy"
    """The worker gives the request back unstarted: send it again at once (docs/bus.md)."""


class PriorityClass(StrEnum):
    """Who waits for the audio; engines serve a higher class first, then by ``priority``."""

    REALTIME = "realtime"
    """Someone is listening live: phone calls, Wyoming (Home Assistant)."""
    INTERACTIVE = "interactive"
    """Someone is waiting for an answer: REST, chat bots. The default."""
    BATCH = "batch"
    """Nobody is waiting right now: durable jobs, audiobooks."""

    @property
    def rank(self) -> int:
        """0 for the class served first."""
        return _CLASS_RANK[self]


_CLASS_RANK = {PriorityClass.REALTIME: 0, PriorityClass.INTERACTIVE: 1, PriorityClass.BATCH: 2}


class ErrorCode(StrEnum):
    """Stable error codes; clients branch on these, never on message text."""

    VOICE_NOT_FOUND = "voice_not_found"
    TEXT_TOO_LONG = "text_too_long"
    INVALID_REQUEST = "invalid_request"
    ENGINE_OVERLOADED = "engine_overloaded"
    ENGINE_UNAVAILABLE = "engine_unavailable"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    INTERNAL = "internal"


def new_request_id() -> str:
    return uuid.uuid4().hex


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SynthesisRequest(_Message):
    """One unit of synthesis work, normally one sentence."""

    type: Literal["synthesis_request"] = "synthesis_request"
    version: str = PROTOCOL_VERSION
    request_id: str = Field(default_factory=new_request_id)
    text: str
    voice: str
    speaker: str | None = None
    language: str | None = None
    speed: float = Field(default=1.0, gt=0.0, le=10.0)
    instructions: str | None = None
    sample_rate: int | None = Field(default=None, description="Output rate wish; advisory.")
    deadline: float = Field(description="Unix time after which the answer is useless.")
    priority: int = Field(
        default=0,
        ge=0,
        description="Position of this sentence in its text; engines serve lower values first "
        "so a new client's first sentence never waits behind another client's long text.",
    )
    priority_class: PriorityClass = Field(
        default=PriorityClass.INTERACTIVE,
        description="Engines serve realtime before interactive before batch, and within a "
        "class by priority.",
    )
    retry_on_busy: bool = Field(
        default=False,
        description="The sender re-sends at once on a 'busy' reply, so a worker may hand the "
        "request back unstarted (to an idle worker, or when it has no free slot).",
    )

    def expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.deadline


class StreamStart(_Message):
    """First message of a reply stream: the format of every chunk that follows."""

    type: Literal["start"] = "start"
    request_id: str
    engine: str
    instance: str
    voice: str
    sample_rate: int
    sample_width: int = 2
    channels: int = 1


class StreamEnd(_Message):
    type: Literal["end"] = "end"
    request_id: str
    chunks: int
    audio_seconds: float
    synthesis_seconds: float
    real_time_factor: float


class StreamError(_Message):
    type: Literal["error"] = "error"
    request_id: str
    code: ErrorCode
    message: str
    suggestion: str | None = None


class Keepalive(_Message):
    type: Literal["keepalive"] = "keepalive"
    request_id: str
    queued: bool = Field(description="True while the request waits for an inference slot.")


class HandBack(_Message):
    """Body of a ``busy`` reply: the worker will not serve this request; nothing was made."""

    type: Literal["busy"] = "busy"
    request_id: str
    reason: str = Field(description="'full' (no free slot) or 'idle_peer' (another is free).")


class IdleNotice(_Message):
    """Published on ``<prefix>.idle.<engine>`` by a worker with a free slot and no queue."""

    type: Literal["idle"] = "idle"
    instance: str


class CancelRequest(_Message):
    type: Literal["cancel"] = "cancel"
    request_id: str
    reason: str = "client"


class VoiceInfo(_Message):
    name: str
    languages: list[str] = Field(default_factory=list)
    speakers: list[str] = Field(default_factory=list)
    description: str = ""
    sample_rate: int
    clones: bool = False


class EngineCapabilities(_Message):
    streaming: bool = True
    cloning: bool = False
    instructions: bool = False
    speed: bool = True
    cacheable: bool = Field(
        default=True,
        description="Clients may cache the audio: false for engines that sample (new audio "
        "on every call) unless their operator chose to cache it.",
    )


class EngineState(StrEnum):
    WARM = "warm"
    LOADING = "loading"
    UNLOADED = "unloaded"
    STOPPING = "stopping"


class ControlAction(StrEnum):
    LOAD = "load"
    UNLOAD = "unload"
    KEEP_WARM = "keep_warm"
    STATUS = "status"


class ControlCommand(_Message):
    """Sent to ``<prefix>.control.<engine>``; every worker acts and replies its announcement."""

    type: Literal["control"] = "control"
    action: ControlAction
    keep_warm: bool | None = Field(default=None, description="For keep_warm: on or off.")


class EngineAnnouncement(_Message):
    """What every engine worker publishes on the discovery subject every few seconds."""

    type: Literal["announcement"] = "announcement"
    version: str = PROTOCOL_VERSION
    engine: str
    instance: str
    engine_version: str
    voices: list[VoiceInfo]
    capabilities: EngineCapabilities = EngineCapabilities()
    device: str = "cpu"
    model: str = Field(default="", description="Model id or checkpoint the engine serves.")
    revision: str = Field(
        default="",
        description="Commit of the weights the model was loaded from ('' when unknown, e.g. "
        "a local checkpoint directory).",
    )
    memory_bytes: int = Field(default=0, description="Memory the model holds (GPU or RAM).")
    state: EngineState = EngineState.WARM
    keep_warm: bool = False
    loads_on_demand: bool = True
    idle_unload_seconds: float = 0.0
    in_flight: int = 0
    queued: int = 0
    max_queue: int = 0
    served: int = Field(default=0, description="Requests finished since start.")
    failed: int = Field(default=0, description="Requests that ended in an error.")
    cancelled: int = Field(default=0, description="Requests cancelled by their client.")
    heartbeat_seconds: float
    host: str = ""
    pid: int = 0


class AdapterState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    FAILED = "failed"
    """It raised; it is retried after ``retry_in`` seconds."""
    STOPPED = "stopped"


class AdapterStatus(_Message):
    """One adapter's state, as its supervisor answers a request on the status subject."""

    type: Literal["adapter_status"] = "adapter_status"
    version: str = PROTOCOL_VERSION
    adapter: str
    state: AdapterState
    since: float = Field(description="Unix time the adapter entered this state.")
    restarts: int = Field(default=0, description="Times it failed and was started again.")
    error: str | None = Field(default=None, description="Why it last failed, in one line.")
    retry_in: float | None = Field(default=None, description="Seconds until the next try.")
    host: str = ""
    pid: int = 0


class AdapterStatusList(_Message):
    """Every adapter one process supervises (the answer on the status subject)."""

    type: Literal["adapter_status_list"] = "adapter_status_list"
    adapters: list[AdapterStatus]


BusMessage = Annotated[
    SynthesisRequest
    | StreamStart
    | StreamEnd
    | StreamError
    | Keepalive
    | HandBack
    | IdleNotice
    | CancelRequest
    | ControlCommand
    | EngineAnnouncement
    | AdapterStatus
    | AdapterStatusList,
    Field(discriminator="type"),
]
"""Every JSON message of the bus; audio chunks are raw bytes and have no model."""
