"""The cache key of one sentence: SHA-256 over everything that changes its audio.

The key covers the normalised text, the engine, its model, weights revision and version,
the voice (and a cloned voice's clip digest), and every field of the
:class:`SynthesisRequest` except those that only say when or how urgently (ids, deadline,
priority, busy hand-backs). A field added to the request later is in the key without a
change here, so a new parameter can never serve stale audio.
``FORMAT_VERSION`` is bumped when what is stored changes.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

from hub.contract.schemas import SynthesisRequest

FORMAT_VERSION = 1
"""Version of the key and of the stored clip; bumping it orphans every old entry."""

NOT_AUDIO_FIELDS = frozenset(
    {
        "type",
        "version",
        "request_id",
        "text",
        "deadline",
        "priority",
        "priority_class",
        "retry_on_busy",
    }
)
"""Request fields that never change the audio (the text is keyed in its normalised form)."""

_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """The text as the key sees it: Unicode NFC, runs of white space as one space, trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def voice_token(voice: str) -> str:
    """A key-safe token for a voice name (so one voice's entries can be listed and cleared)."""
    return hashlib.sha256(voice.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CacheKey:
    """Where one sentence's clip lives: ``<voice token>.<sha256>`` in the cache bucket."""

    voice: str
    digest: str

    @property
    def name(self) -> str:
        return f"{voice_token(self.voice)}.{self.digest}"


@dataclass(frozen=True)
class EngineIdentity:
    """What makes one engine's audio differ from another's for the same request."""

    engine: str
    model: str
    engine_version: str
    revision: str = ""
    """The commit of the weights (``voicebus models pull``), when the engine knows it."""


def cache_key(
    request: SynthesisRequest, engine: EngineIdentity, clip_digest: str | None = None
) -> CacheKey:
    """The key of ``request`` made by ``engine`` (``clip_digest``: a cloned voice's clip)."""
    fields = request.model_dump(mode="json", exclude=set(NOT_AUDIO_FIELDS))
    material = {
        "format": FORMAT_VERSION,
        "text": normalise_text(request.text),
        "engine": engine.engine,
        "model": engine.model,
        "engine_version": engine.engine_version,
        "revision": engine.revision,
        "clip": clip_digest,
        "request": fields,
    }
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return CacheKey(request.voice, hashlib.sha256(encoded.encode()).hexdigest())
