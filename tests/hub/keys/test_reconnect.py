"""A NATS restart does not blind an adapter: its key ring follows the bucket again, so a key
revoked after the restart is refused too; and while NATS is away, limited keys are refused
with a clear error rather than let through."""

from __future__ import annotations

from pathlib import Path

import nats
import pytest

from hub.keys import (
    Gatekeeper,
    InvalidKeyError,
    KeyStore,
    KeysUnavailableError,
    RateLimiter,
    RateSpec,
    Scope,
)
from hub.process.natsserver import NatsServer


async def test_a_revocation_after_a_nats_restart_is_seen(tmp_path: Path) -> None:
    server = NatsServer(tmp_path)
    server.start()
    try:
        reconnected = []

        async def on_reconnect() -> None:
            reconnected.append(True)

        adapter_nc = await nats.connect(
            server.url, reconnect_time_wait=0.2, reconnected_cb=on_reconnect
        )
        gate = Gatekeeper(adapter_nc, "restart")
        store = await KeyStore.open(await nats.connect(server.url), "restart")
        record, token = await store.create("survivor", frozenset({Scope.SPEAK}))
        await gate.start()
        assert gate.ring is not None
        await gate.ring.wait_for(lambda ring: record.id in ring.records, timeout=1.0)

        server.stop()
        server.start()  # same port, same JetStream data
        admin_nc = await nats.connect(server.url)
        await KeyStore(await admin_nc.jetstream().key_value("restart-keys")).revoke("survivor")
        # The ordered consumer behind the watcher resumes after the reconnect; bounded wait.
        await gate.ring.wait_for(lambda ring: ring.records[record.id].revoked, timeout=15.0)
        assert reconnected
        with pytest.raises(InvalidKeyError):
            await gate.authenticate(token)
        await gate.close()
        for nc in (adapter_nc, admin_nc):
            await nc.close()
    finally:
        server.stop()


async def test_limits_refuse_with_a_clear_error_while_nats_is_away(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = NatsServer(tmp_path)
    server.start()
    nc = await nats.connect(server.url, reconnect_time_wait=0.2)
    try:
        limiter = await RateLimiter.open(nc.jetstream(timeout=0.5), "away")
        spec = RateSpec.parse("10/day")
        assert await limiter.charge("k", "requests", spec, 1) == 1
        server.stop()
        with pytest.raises(KeysUnavailableError, match="cannot be reached"):
            await limiter.charge("k", "requests", spec, 1)  # never a silent pass
        assert "unreachable" in caplog.text
        server.start()  # back: counting resumes where it was
        await nc.flush(timeout=10)
        assert await limiter.charge("k", "requests", spec, 1) == 2
    finally:
        await nc.close()
        server.stop()
