"""Jobs in JetStream: a work-queue stream of job ids with one durable pull consumer (the
runners share it), each job's record in a key-value bucket, and its sentences' text and
canonical PCM in an object store, all with file storage.

Names come from the subject prefix, so every bus has its own: stream ``<p>-jobs`` on
subject ``<p>.jobs.run``, consumer ``runners``, bucket ``<p>-jobs`` (records) and object
store ``<p>-jobs-audio`` (``<id>/sentences`` and ``<id>/000000``, ``<id>/000001`` ...).
Another name (the ``bucket`` setting, ``<b>``) gives stream and buckets ``<b>`` and
``<b>-audio`` on subject ``<p>.jobs.<b>.run``: a separate set of jobs on the same bus.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.js import JetStreamContext
from nats.js import errors as js_errors
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    KeyValueConfig,
    ObjectMeta,
    ObjectStoreConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from hub.contract.errors import EngineUnavailableError
from hub.jobs.model import JobRecord
from hub.jobs.settings import JobSettings
from hub.store.kv import latest_values

_LOGGER = logging.getLogger(__name__)

CONSUMER = "runners"


class JobNotFoundError(LookupError):
    """No job with that id (never submitted, or past its retention)."""


class JobConflictError(Exception):
    """The record changed since it was read (compare-and-set lost)."""


@dataclass(frozen=True)
class JobNames:
    subject: str
    stream: str
    bucket: str
    audio: str

    prefix: str

    @classmethod
    def for_prefix(cls, prefix: str, bucket: str | None = None) -> JobNames:
        base = bucket or f"{prefix.replace('.', '_')}-jobs"
        subject = f"{prefix}.jobs.{bucket}.run" if bucket else f"{prefix}.jobs.run"
        return cls(subject, base, base, f"{base}-audio", prefix)

    def cancel(self, job_id: str) -> str:
        return f"{self.prefix}.jobs.cancel.{job_id}"

    @property
    def cancel_all(self) -> str:
        return f"{self.prefix}.jobs.cancel.*"


def sentence_name(job_id: str, index: int) -> str:
    return f"{job_id}/{index:06d}"


class JobStore:
    """``await JobStore.open(nc, prefix, settings)``, then submit, read, update, store audio."""

    def __init__(
        self, js: JetStreamContext, names: JobNames, kv: KeyValue, audio: ObjectStore
    ) -> None:
        self.js = js
        self.names = names
        self._kv = kv
        self._audio = audio

    @classmethod
    async def open(
        cls, nc: Client, prefix: str, settings: JobSettings, *, runner: bool = False
    ) -> JobStore:
        """Bind to the job buckets and stream, creating them on first use. A ``runner``
        also sets the consumer's ack wait to its own (others leave it as it is)."""
        js = nc.jetstream()
        names = JobNames.for_prefix(prefix, settings.bucket)
        try:
            kv, audio = await _buckets(js, names, settings.retention_seconds)
            await _stream(js, names, settings.ack_wait, update=runner)
        except (js_errors.ServiceUnavailableError, NoRespondersError):
            raise EngineUnavailableError(
                "jobs need JetStream, which this NATS server does not offer",
                "start nats-server with -js (voicebus up does), or enable JetStream",
            ) from None
        return cls(js, names, kv, audio)

    # ---- records ---------------------------------------------------------------------

    async def submit(self, record: JobRecord, sentences: list[str]) -> None:
        """Store the job's sentences and record, then queue its id (once: the id is the
        message id, so a retried submission is not run twice)."""
        await self._audio.put(f"{record.id}/sentences", json.dumps(sentences).encode())
        await self._kv.create(record.id, record.model_dump_json().encode())
        await self.js.publish(
            self.names.subject, record.id.encode(), headers={"Nats-Msg-Id": record.id}
        )

    async def get(self, job_id: str) -> tuple[JobRecord, int]:
        """The record and its revision (for :meth:`update`)."""
        try:
            entry = await self._kv.get(job_id)
        except (js_errors.KeyNotFoundError, js_errors.KeyDeletedError, js_errors.InvalidKeyError):
            raise JobNotFoundError(f"no job {job_id!r}") from None
        if not entry.value:
            raise JobNotFoundError(f"no job {job_id!r}")
        return JobRecord.model_validate_json(entry.value), entry.revision or 0

    async def update(self, record: JobRecord, revision: int) -> int:
        """Write ``record`` if nobody wrote since ``revision``; the new revision."""
        try:
            return await self._kv.update(record.id, record.model_dump_json().encode(), revision)
        except js_errors.KeyWrongLastSequenceError:
            raise JobConflictError(record.id) from None

    async def list(self) -> list[JobRecord]:
        """Every job, newest first (one pass over the bucket's latest values)."""
        values = await latest_values(self.js, self._kv, self.names.bucket)
        records = [JobRecord.model_validate_json(value) for value in values.values()]
        return sorted(records, key=lambda record: record.created_at, reverse=True)

    async def watch(self, job_id: str) -> KeyValue.KeyWatcher:
        """Updates of one record: the current value, ``None``, then every change."""
        return await self._kv.watch(job_id)

    # ---- audio -----------------------------------------------------------------------

    async def sentences(self, job_id: str) -> list[str]:
        result = await self._audio.get(f"{job_id}/sentences")
        return [str(text) for text in json.loads(result.data or b"[]")]

    async def has_sentence(self, job_id: str, index: int) -> bool:
        try:
            info = await self._audio.get_info(sentence_name(job_id, index))
        except js_errors.ObjectNotFoundError:
            return False
        return not info.deleted

    async def put_sentence(self, job_id: str, index: int, pcm: bytes, rate: int) -> None:
        name = sentence_name(job_id, index)
        await self._audio.put(name, pcm, meta=ObjectMeta(name=name, description=f"s16le {rate}"))

    async def get_sentence(self, job_id: str, index: int) -> tuple[bytes, int]:
        """A stored sentence's mono s16le PCM and its rate."""
        result = await self._audio.get(sentence_name(job_id, index))
        rate = int((result.info.description or "s16le 0").split()[-1])
        return result.data or b"", rate


async def _buckets(
    js: JetStreamContext, names: JobNames, retention: float
) -> tuple[KeyValue, ObjectStore]:
    try:
        kv = await js.key_value(names.bucket)
    except js_errors.BucketNotFoundError:
        kv = await js.create_key_value(
            KeyValueConfig(
                bucket=names.bucket,
                description="voicebus jobs: one record per job",
                ttl=retention,
                storage=StorageType.FILE,
            )
        )
    try:
        audio = await js.object_store(names.audio)
    except js_errors.NotFoundError:
        audio = await js.create_object_store(
            names.audio,
            ObjectStoreConfig(
                description="voicebus jobs: sentences and their PCM",
                ttl=retention,
                storage=StorageType.FILE,
            ),
        )
    return kv, audio


async def _stream(js: JetStreamContext, names: JobNames, ack_wait: float, *, update: bool) -> None:
    try:
        await js.stream_info(names.stream)
    except js_errors.NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=names.stream,
                subjects=[names.subject],
                retention=RetentionPolicy.WORK_QUEUE,
                storage=StorageType.FILE,
                description="voicebus jobs: ids waiting for a runner",
            )
        )
    config = ConsumerConfig(
        durable_name=CONSUMER,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        max_deliver=-1,
        filter_subject=names.subject,
    )
    if not update:
        try:
            await js.consumer_info(names.stream, CONSUMER)
            return
        except js_errors.NotFoundError:
            pass
    try:
        await js.add_consumer(names.stream, config)  # creates, or updates the ack wait
    except js_errors.BadRequestError as error:  # a server that will not update it: keep it
        _LOGGER.debug("jobs consumer kept as it is (%s)", error)
