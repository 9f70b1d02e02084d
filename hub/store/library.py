"""The voice library: reference clips for voice cloning, shared by every engine on the bus.

Clips live in a JetStream object store and their metadata in a key-value bucket, both with
file storage, so they survive restarts and every engine on every host sees the same voices.
A clip is stored once under its content digest; the metadata entry (key = voice name) points
at it, so renaming a voice moves no audio and engines keep their conditioning caches.

Every clip is validated and normalised on the way in (``hub/store/clips.py``); names and
metadata follow ``hub/store/voice_meta.py``. Both modules' public names are importable here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator

from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.js import JetStreamContext
from nats.js import errors as js_errors
from nats.js.api import KeyValueConfig, ObjectStoreConfig, StorageType
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore
from pydantic import BaseModel, Field

from hub.contract.errors import EngineUnavailableError, InvalidRequestError, VoiceNotFoundError
from hub.settings import NatsOptions, VoicebusSettings
from hub.store.clips import (
    CLIP_RATE,
    MAX_SECONDS,
    MAX_UPLOAD_BYTES,
    MIN_SECONDS,
    normalise_clip,
    read_wav,
    write_wav,
)
from hub.store.kv import latest_values
from hub.store.voice_meta import (
    MAX_TRANSCRIPT_CHARS,
    ClonedVoiceMeta,
    check_language,
    check_name,
    check_transcript,
)

__all__ = [
    "CLIP_RATE",
    "DEFAULT_BUCKET",
    "MAX_SECONDS",
    "MAX_TRANSCRIPT_CHARS",
    "MAX_UPLOAD_BYTES",
    "MIN_SECONDS",
    "ClonedVoiceMeta",
    "LibraryOptions",
    "LibrarySettings",
    "VoiceLibrary",
    "check_name",
    "normalise_clip",
    "read_wav",
    "write_wav",
]

_LOGGER = logging.getLogger(__name__)

DEFAULT_BUCKET = "voicebus-voices"


class LibraryOptions(BaseModel):
    """Which voice library to use; mixed into the settings of every process that opens it."""

    voice_bucket: str = Field(
        default=DEFAULT_BUCKET,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="JetStream key-value and object store bucket of the voice library.",
    )


class LibrarySettings(VoicebusSettings, NatsOptions, LibraryOptions):
    """Where the library lives: the NATS options plus the bucket name."""


class VoiceLibrary:
    """Cloned voices in JetStream: ``await VoiceLibrary.open(nc)`` then add/list/get/rename."""

    def __init__(self, js: JetStreamContext, kv: KeyValue, store: ObjectStore, bucket: str) -> None:
        self._js = js
        self._kv = kv
        self._store = store
        self.bucket = bucket

    @classmethod
    async def open(
        cls,
        nc: Client | JetStreamContext,
        bucket: str = DEFAULT_BUCKET,
        *,
        replicas: int = 1,
    ) -> VoiceLibrary:
        """Bind to the library's buckets, creating them (file storage) on first use."""
        js = nc.jetstream() if isinstance(nc, Client) else nc
        try:
            return await cls._bind(js, bucket, replicas)
        except (js_errors.ServiceUnavailableError, NoRespondersError):
            raise EngineUnavailableError(
                "the voice library needs JetStream, which this NATS server does not offer",
                "start nats-server with -js (voicebus up does), or enable JetStream",
            ) from None

    @classmethod
    async def _bind(cls, js: JetStreamContext, bucket: str, replicas: int) -> VoiceLibrary:
        try:
            kv = await js.key_value(bucket)
        except js_errors.BucketNotFoundError:
            kv = await js.create_key_value(
                KeyValueConfig(
                    bucket=bucket,
                    description="voicebus voice library: cloned voice metadata",
                    storage=StorageType.FILE,
                    replicas=replicas,
                )
            )
        try:
            store = await js.object_store(bucket)
        except js_errors.NotFoundError:
            store = await js.create_object_store(
                bucket,
                ObjectStoreConfig(
                    description="voicebus voice library: reference clips",
                    storage=StorageType.FILE,
                    replicas=replicas,
                ),
            )
        return cls(js, kv, store, bucket)

    async def add(
        self,
        name: str,
        clip: bytes,
        transcript: str | None = None,
        language: str | None = None,
    ) -> ClonedVoiceMeta:
        """Validate, normalise and store a clip as voice ``name`` (which must be new)."""
        check_name(name)
        transcript = check_transcript(transcript)
        language = check_language(language)
        wav, seconds = await asyncio.to_thread(normalise_clip, clip)
        digest = hashlib.sha256(wav).hexdigest()
        meta = ClonedVoiceMeta(
            name=name,
            transcript=transcript,
            language=language,
            digest=digest,
            duration_seconds=round(seconds, 3),
            size_bytes=len(wav),
        )
        await self._store.put(digest, wav)
        try:
            await self._kv.create(name, meta.model_dump_json().encode())
        except js_errors.KeyWrongLastSequenceError:
            await self._drop_clip_if_unused(digest)
            raise InvalidRequestError(
                f"a voice named {name!r} already exists", "delete or rename it first"
            ) from None
        _LOGGER.info("voice library: added %s (%.1f s)", name, seconds)
        return meta

    async def list(self) -> list[ClonedVoiceMeta]:
        """Every cloned voice, sorted by name: one pass over the bucket's latest entries."""
        values = await latest_values(self._js, self._kv, self.bucket)
        voices = [ClonedVoiceMeta.model_validate_json(value) for value in values.values()]
        return sorted(voices, key=lambda meta: meta.name)

    async def get_meta(self, name: str) -> ClonedVoiceMeta:
        try:
            entry = await self._kv.get(check_name(name))
        except js_errors.KeyNotFoundError:
            raise await self._not_found(name) from None
        assert entry.value is not None
        return ClonedVoiceMeta.model_validate_json(entry.value)

    async def get_clip(self, name: str) -> bytes:
        """The stored clip of voice ``name``: mono 16-bit WAV at :data:`CLIP_RATE`."""
        return await self.get_clip_by_digest((await self.get_meta(name)).digest)

    async def get_clip_by_digest(self, digest: str) -> bytes:
        result = await self._store.get(digest)
        assert result.data is not None
        return result.data

    async def rename(self, old: str, new: str) -> ClonedVoiceMeta:
        meta = await self.get_meta(old)
        check_name(new)
        if new == old:
            return meta
        renamed = meta.model_copy(update={"name": new})
        try:
            await self._kv.create(new, renamed.model_dump_json().encode())
        except js_errors.KeyWrongLastSequenceError:
            raise InvalidRequestError(
                f"a voice named {new!r} already exists", "delete it first or pick another name"
            ) from None
        await self._kv.delete(old)
        _LOGGER.info("voice library: renamed %s to %s", old, new)
        return renamed

    async def delete(self, name: str) -> None:
        meta = await self.get_meta(name)
        await self._kv.delete(name)
        await self._drop_clip_if_unused(meta.digest)
        _LOGGER.info("voice library: deleted %s", name)

    async def watch(self) -> AsyncIterator[tuple[str, ClonedVoiceMeta | None]]:
        """Changes as they happen: ``(name, meta)`` on add/rename, ``(name, None)`` on delete.

        Starts with every existing voice. Ends when the caller stops iterating.
        """
        watcher = await self._kv.watchall()
        try:
            async for entry in watcher:
                if entry is None:
                    continue
                if entry.operation is None and entry.value:
                    yield entry.key, ClonedVoiceMeta.model_validate_json(entry.value)
                else:
                    yield entry.key, None
        finally:
            await watcher.stop()

    async def _drop_clip_if_unused(self, digest: str) -> None:
        if any(meta.digest == digest for meta in await self.list()):
            return
        with contextlib.suppress(js_errors.NotFoundError):
            await self._store.delete(digest)

    async def _not_found(self, name: str) -> VoiceNotFoundError:
        known = [meta.name for meta in await self.list()]
        return VoiceNotFoundError(
            name,
            known,
            message=f"no cloned voice {name!r} in the voice library",
            suggestion=f"cloned voices: {', '.join(known) or 'none yet (voicebus voices add)'}",
        )
