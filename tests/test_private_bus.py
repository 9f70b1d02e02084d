"""The ``private_bus`` fixture itself: two private buses on the one nats-server do not see
each other's engines, and a bus stops what it started when it is closed."""

from __future__ import annotations

from pathlib import Path

from hub.process.natsserver import NatsServer
from tests.conftest import DEFAULT_VOICE, PrivateBus


async def test_two_private_buses_do_not_see_each_others_engines(
    private_bus: PrivateBus, nats_server: NatsServer, engine_logs: Path
) -> None:
    async with PrivateBus.named(nats_server.url, "other-bus", engine_logs) as other:
        assert other.prefix != private_bus.prefix
        private_bus.engine(VOICEBUS_ENGINE_NAME="mine")
        theirs = other.engine(VOICEBUS_ENGINE_NAME="theirs")
        mine_client = await private_bus.client(DEFAULT_VOICE)
        their_client = await other.client(DEFAULT_VOICE)

        assert [w.engine for w in await mine_client.refresh(timeout=2)] == ["mine"]
        assert [w.engine for w in await their_client.refresh(timeout=2)] == ["theirs"]
        assert [r.engine for r in mine_client.routes(DEFAULT_VOICE)] == ["mine"]
        assert private_bus.settings().subject_prefix == private_bus.prefix
        assert private_bus.env()["VOICEBUS_SUBJECT_PREFIX"] == private_bus.prefix
    assert theirs.process is not None and theirs.process.poll() is not None
    assert not their_client.connected
