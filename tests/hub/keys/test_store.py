"""Keys in JetStream KV: created with a hash only, listed, revoked, seen by every process."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import nats
import pytest

from hub.keys import (
    AuthMode,
    Gatekeeper,
    InvalidKeyError,
    KeyNotFoundError,
    KeyRing,
    KeyStore,
    KeysUnavailableError,
    MissingKeyError,
    RateSpec,
    Scope,
    ScopeError,
    bucket_name,
)
from hub.keys.tokens import split_token
from hub.process.natsserver import NatsServer

SPEAK = frozenset({Scope.SPEAK})


async def all_values(store: KeyStore) -> bytes:
    """Every value in the keys bucket, history included, as one byte string."""
    values = []
    for key in await store.kv.keys():
        values += [entry.value or b"" for entry in await store.kv.history(key)]
    return b"\n".join(values)


async def test_the_secret_is_shown_once_and_stored_only_as_a_hash(
    store: KeyStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    record, token = await store.create("ci-bot", SPEAK, rate=RateSpec.parse("60/min"))
    key_id, secret = split_token(token) or ("", "")
    assert key_id == record.id and len(secret) >= 43  # 32 random bytes, base64url
    stored = await all_values(store)
    assert secret.encode() not in stored and token.encode() not in stored
    assert record.secret_hash.encode() in stored
    assert secret not in caplog.text and token not in caplog.text
    assert "ci-bot" in caplog.text  # the creation itself is logged
    listed = await store.list()
    assert [r.name for r in listed] == ["ci-bot"]
    assert "secret_hash" not in listed[0].public() and "salt" not in listed[0].public()
    other, other_token = await store.create("second", SPEAK)
    assert other.salt != record.salt and other_token != token


async def test_names_are_unique_until_revoked(store: KeyStore) -> None:
    first, _ = await store.create("shared-name", SPEAK)
    with pytest.raises(ValueError, match="already exists"):
        await store.create("shared-name", frozenset({Scope.ADMIN}))
    with pytest.raises(ValueError, match="bad key name"):
        await store.create("bad name", SPEAK)
    revoked = await store.revoke("shared-name")
    assert revoked.revoked and revoked.id == first.id
    second, _ = await store.create("shared-name", SPEAK)  # the name is free again
    assert (await store.find("shared-name")).id == second.id
    assert (await store.find(first.id)).revoked  # the old key is still listed, by id
    assert [r.revoked for r in await store.list()] == [True, False]
    with pytest.raises(KeyNotFoundError, match="keys list"):
        await store.revoke("nobody")


async def test_every_process_sees_a_new_key_and_a_revocation_within_a_second(
    connect: Any, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = await KeyStore.open(await connect(), prefix)
    gates = [Gatekeeper(await connect(), prefix) for _ in range(2)]
    for gate in gates:
        await gate.start()
        assert not gate.enabled  # auto: no key exists yet, so none is asked for
        assert (await gate.authenticate(None)).allows(Scope.ADMIN)

    record, token = await admin.create("roaming", SPEAK)
    for gate in gates:
        assert gate.ring is not None
        await gate.ring.wait_for(lambda ring: record.id in ring.records, timeout=1.0)
        assert gate.enabled
        caller = await gate.authenticate(token)
        assert caller.record is not None and caller.record.name == "roaming"
        caller.require(SPEAK)
        with pytest.raises(ScopeError, match="voices"):
            caller.require(frozenset({Scope.VOICES}))
        with pytest.raises(MissingKeyError):
            await gate.authenticate(None)
        with pytest.raises(InvalidKeyError) as garbage:
            await gate.authenticate(token[:-2] + "xx")
        assert not garbage.value.revoked

    await admin.revoke("roaming")
    for gate in gates:
        assert gate.ring is not None
        await gate.ring.wait_for(lambda ring: ring.records[record.id].revoked, timeout=1.0)
        with pytest.raises(InvalidKeyError) as refused:
            await gate.authenticate(token)
        assert refused.value.revoked
        assert gate.enabled  # revoking the last key never opens the door
        await gate.close()
    assert token not in caplog.text


async def test_static_keys_are_all_powerful_and_unlimited(connect: Any, prefix: str) -> None:
    gate = Gatekeeper(await connect(), prefix, static_keys=["sk-static"])
    assert gate.enabled
    caller = await gate.authenticate("sk-static")
    assert caller.record is None and all(caller.allows(scope) for scope in Scope)
    for _ in range(3):
        await caller.count_request()
    with pytest.raises(InvalidKeyError):
        await gate.authenticate("sk-other")
    await gate.close()


async def test_a_ring_reads_a_bucket_written_before_it_started(store: KeyStore) -> None:
    made = [await store.create(f"k{index}", SPEAK) for index in range(5)]
    await store.revoke("k2")
    ring = KeyRing(store.kv)
    await ring.start()
    try:
        assert sorted(ring.records) == sorted(record.id for record, _ in made)
        assert [ring.lookup(token) is not None for _, token in made] == [True] * 5
        assert ring.records[made[2][0].id].revoked
    finally:
        await ring.stop()


def test_bucket_names_follow_the_prefix() -> None:
    assert bucket_name("voicebus") == "voicebus-keys"
    assert bucket_name("site.a", "key-usage") == "site_a-key-usage"


async def test_without_jetstream_only_static_keys_are_honoured(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = NatsServer(tmp_path, jetstream=False)
    server.start()
    try:
        nc = await nats.connect(server.url)
        gate = Gatekeeper(nc, "plain", static_keys=["sk-static"])
        await gate.start()
        assert "need JetStream" in caplog.text
        assert (await gate.authenticate("sk-static")).allows(Scope.ADMIN)
        with pytest.raises(InvalidKeyError):
            await gate.authenticate("vbk_0123456789ab_" + "x" * 43)
        open_gate = Gatekeeper(nc, "plain")  # no static keys and no bus keys: open, as before
        assert (await open_gate.authenticate(None)).allows(Scope.ADMIN)
        with pytest.raises(KeysUnavailableError, match="JetStream"):
            await KeyStore.open(nc, "plain")
        await nc.close()
    finally:
        server.stop()


async def test_required_and_off_modes(connect: Any, prefix: str, store: KeyStore) -> None:
    required = Gatekeeper(await connect(), prefix, mode=AuthMode.REQUIRED)
    with pytest.raises(MissingKeyError):  # no key exists yet, and one is still asked for
        await required.authenticate(None)
    record, token = await store.create("somebody", SPEAK)
    off = Gatekeeper(await connect(), prefix, mode=AuthMode.OFF)
    assert not off.enabled
    assert (await off.authenticate(None)).allows(Scope.ADMIN)
    assert (await off.authenticate("garbage")).record is None
    assert off.ring is None  # off never reads the bucket
    assert required.ring is not None
    await required.ring.wait_for(lambda ring: record.id in ring.records, timeout=1.0)
    caller = await required.authenticate(token)
    assert caller.record is not None and caller.record.name == "somebody"
    await required.close()
