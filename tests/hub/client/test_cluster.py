"""NATS clusters on loopback: clients and engines on different nodes."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.client import HubClient
from hub.contract.errors import VoicebusError
from hub.process.natsserver import NatsServer
from tests.conftest import DEFAULT_VOICE, EngineProcess, client_settings
from tests.helpers import assert_is_speech, collect, free_port, story

StartEngine = Callable[..., EngineProcess]


def start_cluster(tmp_path: Path, size: int) -> list[NatsServer]:
    """``size`` nats-server nodes routed to each other (no JetStream)."""
    routes = [free_port() for _ in range(size)]
    nodes = []
    for index, port in enumerate(routes):
        others = ",".join(f"nats://127.0.0.1:{p}" for p in routes if p != port)
        args = ["--name", f"n{index + 1}", "--cluster_name", "voicebus-test"]
        args += ["--cluster", f"nats://127.0.0.1:{port}", "--routes", others]
        nodes.append(NatsServer(tmp_path / f"n{index + 1}", jetstream=False, extra_args=args))
    for node in nodes:
        node.start()
    return nodes


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[NatsServer]]:
    nodes = start_cluster(tmp_path, 3)
    yield nodes
    for node in nodes:
        node.stop()


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[list[NatsServer]]:
    nodes = start_cluster(tmp_path, 2)
    yield nodes
    for node in nodes:
        node.stop()


async def test_a_long_text_is_spread_over_workers_on_both_nodes(
    two_nodes: list[NatsServer], start_engine: StartEngine
) -> None:
    """One worker per node, the client on node 1: the far worker gets its share, because
    work goes to whichever worker has a free slot, across the route as well."""
    near_node, far_node = two_nodes
    one_slot = {"VOICEBUS_THREADS": "1", "VOICEBUS_CONCURRENCY": "1"}
    near = start_engine(near_node.url, VOICEBUS_HEARTBEAT_SECONDS="0.5", **one_slot)
    far = start_engine(far_node.url, VOICEBUS_HEARTBEAT_SECONDS="0.5", **one_slot)
    client = await HubClient.connect(client_settings(near_node.url, max_in_flight=4), "test-two")
    try:
        assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 2, 15)
        text = story(20)
        stream = await client.open(text, DEFAULT_VOICE)
        assert_is_speech(await collect(stream), stream.sample_rate, text)
        split = Counter(stream.served_by)
        assert split[near.instance()] >= 8 and split[far.instance()] >= 8, split
    finally:
        await client.close()


async def test_engine_on_node_3_serves_client_on_node_1(
    cluster: list[NatsServer], start_engine: StartEngine
) -> None:
    node1, node2, node3 = cluster
    far = start_engine(node3.url, VOICEBUS_HEARTBEAT_SECONDS="0.5")
    settings = client_settings(node1.url, start_timeout=2, idle_timeout=2, retries=2)
    client = await HubClient.connect(settings, "test-cluster")
    try:
        assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 1, 15)
        text = "Spoken on node three, heard on node one."
        stream = await client.open(text, DEFAULT_VOICE)
        assert_is_speech(await collect(stream), stream.sample_rate, text)
        far_instance = far.instance()
        assert set(stream.served_by) == {far_instance}

        near = start_engine(node2.url, VOICEBUS_HEARTBEAT_SECONDS="0.5")
        near_instance = near.instance()
        assert await client.discovery.wait_for(lambda d: d.workers_of("piper") == 2, 15)

        # Node 3 goes away with its engine's connection; a stream in flight either
        # finishes on the surviving worker or fails cleanly, never hangs.
        running = await client.open(story(10), DEFAULT_VOICE)
        await running.__anext__()
        await asyncio.to_thread(node3.stop)
        with contextlib.suppress(VoicebusError):
            await asyncio.wait_for(collect(running), 30)

        # The far engine either followed the cluster to another node (NATS clients learn
        # every node's URL) or was dropped from discovery; new work is served either way.
        await asyncio.sleep(2)
        live = {w.instance for w in client.discovery.workers()}
        assert near_instance in live
        later = await client.open(story(4), DEFAULT_VOICE)
        await asyncio.wait_for(collect(later), 30)
        assert set(later.served_by) <= live
    finally:
        await client.close()
