"""Fixtures of the key tests: NATS connections and a fresh subject prefix (so fresh buckets)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client

from hub.keys import KeyStore
from hub.process.natsserver import NatsServer


@pytest.fixture
def prefix() -> str:
    """A subject prefix of the test's own: its keys and usage buckets are new."""
    return f"keys-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def connect(nats_server: NatsServer) -> AsyncIterator[object]:
    """``await connect()``: a new NATS connection (another process, as far as NATS knows)."""
    opened: list[Client] = []

    async def open_one() -> Client:
        nc = await nats.connect(nats_server.url)
        opened.append(nc)
        return nc

    yield open_one
    for nc in opened:
        await nc.close()


@pytest.fixture
async def store(connect: object, prefix: str) -> KeyStore:
    assert callable(connect)
    return await KeyStore.open(await connect(), prefix)
