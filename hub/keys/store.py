"""The keys bucket in JetStream KV: create, list and revoke keys (any process, any host).

Entries: ``key.<id>`` holds a :class:`KeyRecord` (JSON), ``name.<name>`` holds the id of the
live key with that name, created with ``kv.create`` so two creators can never share a name.
Revoking keeps the record (marked ``revoked_at``) so every process learns of it, and frees
the name. The bucket is ``<prefix>-keys`` (dots of the subject prefix read as ``_``), so
every deployment on one NATS has its own keys.
"""

from __future__ import annotations

import contextlib
import logging
import time

from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.js import JetStreamContext
from nats.js import errors as js_errors
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from hub.keys import tokens
from hub.keys.errors import KeysUnavailableError
from hub.keys.model import KeyRecord, Scope, check_key_name
from hub.keys.ring import KeyRing
from hub.keys.spec import RateSpec

_LOGGER = logging.getLogger(__name__)

_NO_JETSTREAM = "API keys need JetStream, which this NATS server does not offer"


class KeyNotFoundError(ValueError):
    """No key with that name or id."""


class KeyExistsError(ValueError):
    """A live key already has that name."""


def bucket_name(subject_prefix: str, kind: str = "keys") -> str:
    """``voicebus-keys`` for the default prefix; ``kind`` is ``keys`` or ``key-usage``."""
    return f"{subject_prefix.replace('.', '_')}-{kind}"


async def open_bucket(
    nc: Client | JetStreamContext, name: str, description: str, ttl: float | None = None
) -> KeyValue:
    """Bind to a KV bucket, creating it (file storage) on first use."""
    js = nc.jetstream() if isinstance(nc, Client) else nc
    try:
        try:
            return await js.key_value(name)
        except js_errors.BucketNotFoundError:
            config = KeyValueConfig(
                bucket=name, description=description, storage=StorageType.FILE, ttl=ttl
            )
            return await js.create_key_value(config)
    except (js_errors.ServiceUnavailableError, NoRespondersError):
        raise KeysUnavailableError(_NO_JETSTREAM) from None


class KeyStore:
    """Administration of keys: ``await KeyStore.open(nc, prefix)``."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @classmethod
    async def open(cls, nc: Client | JetStreamContext, subject_prefix: str) -> KeyStore:
        kv = await open_bucket(nc, bucket_name(subject_prefix), "voicebus API keys (hashed)")
        return cls(kv)

    async def create(
        self,
        name: str,
        scopes: frozenset[Scope],
        rate: RateSpec | None = None,
        chars: RateSpec | None = None,
    ) -> tuple[KeyRecord, str]:
        """A new key and its token; the token is returned here and never again."""
        check_key_name(name)
        secret, salt = tokens.new_secret(), tokens.new_salt()
        record = KeyRecord(
            id=tokens.new_key_id(),
            name=name,
            scopes=sorted(scopes),
            salt=salt,
            secret_hash=tokens.hash_secret(salt, secret),
            rate=rate,
            chars=chars,
        )
        try:
            await self.kv.create(f"name.{name}", record.id.encode())
        except js_errors.KeyWrongLastSequenceError:
            raise KeyExistsError(f"a key named {name!r} already exists; revoke it first") from None
        try:
            await self.kv.put(f"key.{record.id}", record.model_dump_json().encode())
        except BaseException:  # do not leave the name taken by a key that does not exist
            with contextlib.suppress(Exception):
                await self.kv.delete(f"name.{name}")
            raise
        _LOGGER.info("API key %s (%s) created: %s", name, record.id, ", ".join(record.scopes))
        return record, tokens.token_for(record.id, secret)

    async def list(self) -> list[KeyRecord]:
        """Every key, live and revoked, oldest first."""
        ring = KeyRing(self.kv)
        await ring.start()
        await ring.stop()
        return sorted(ring.records.values(), key=lambda record: record.created_at)

    async def get(self, key_id: str) -> KeyRecord | None:
        try:
            entry = await self.kv.get(f"key.{key_id}")
        except (js_errors.KeyNotFoundError, js_errors.KeyDeletedError):
            return None
        return KeyRecord.model_validate_json(entry.value) if entry.value else None

    async def find(self, name_or_id: str) -> KeyRecord:
        """The live key with this name, else the key with this id."""
        try:
            entry = await self.kv.get(f"name.{name_or_id}")
            if entry.value:
                found = await self.get(entry.value.decode())
                if found is not None:
                    return found
        except (js_errors.KeyNotFoundError, js_errors.KeyDeletedError, ValueError):
            pass  # ValueError: not a valid KV key, so not a name
        if len(name_or_id) == 12 and (found := await self.get(name_or_id)) is not None:
            return found
        raise KeyNotFoundError(f"no API key named {name_or_id!r} (see 'voicebus keys list')")

    async def revoke(self, name_or_id: str) -> KeyRecord:
        """Mark the key revoked (every process refuses it within a second); frees its name."""
        record = await self.find(name_or_id)
        if record.revoked:
            return record
        revoked = record.model_copy(update={"revoked_at": time.time()})
        await self.kv.put(f"key.{record.id}", revoked.model_dump_json().encode())
        try:
            entry = await self.kv.get(f"name.{record.name}")
            if entry.value == record.id.encode():
                await self.kv.delete(f"name.{record.name}", last=entry.revision)
        except (
            js_errors.KeyNotFoundError,
            js_errors.KeyDeletedError,
            js_errors.KeyWrongLastSequenceError,  # the name moved on meanwhile: not ours
        ):
            pass
        _LOGGER.info("API key %s (%s) revoked", record.name, record.id)
        return revoked
