"""The remote engine, with our own OpenAI adapter serving Piper as its upstream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hub.client import HubClient
from hub.contract.errors import EngineUnavailableError
from hub.process.natsserver import NatsServer
from tests.adapters.openai.support import RunningAdapter, adapter_settings, running_adapter
from tests.conftest import EngineProcess, client_settings
from tests.helpers import assert_is_speech, collect, story

PREFIX = "remote"
KEY = "upstream-secret"


@pytest.fixture(scope="module")
async def upstream(hub: HubClient) -> AsyncIterator[RunningAdapter]:
    async with running_adapter(adapter_settings(api_keys=[KEY]), hub) as running:
        yield running


@pytest.fixture
def remote_engines(engine_logs: Path) -> Iterator[list[EngineProcess]]:
    started: list[EngineProcess] = []
    yield started
    for engine in started:
        engine.stop()


def start_remote(
    started: list[EngineProcess],
    url: str,
    logs: Path,
    name: str,
    base_url: str,
    key: str,
    **extra: str,
) -> EngineProcess:
    engine = EngineProcess(
        url,
        name="remote",
        log_dir=logs,
        VOICEBUS_SUBJECT_PREFIX=PREFIX,
        VOICEBUS_ENGINE_NAME=name,
        VOICEBUS_REMOTE_URL=base_url,
        VOICEBUS_REMOTE_API_KEY=key,
        VOICEBUS_REMOTE_VOICES=json.dumps(["alloy", "nova"]),
        VOICEBUS_REMOTE_TIMEOUT="10",
        **extra,
    ).start()
    started.append(engine)
    engine.instance()
    return engine


async def test_remote_engine_streams_upstream_speech(
    nats_server: NatsServer,
    upstream: RunningAdapter,
    remote_engines: list[EngineProcess],
    engine_logs: Path,
    whisper: object,
) -> None:
    engine = start_remote(
        remote_engines, nats_server.url, engine_logs, "upstream", upstream.base_url, KEY
    )
    settings = client_settings(nats_server.url, subject_prefix=PREFIX, default_voice="alloy")
    client = await HubClient.connect(settings, "test-remote")
    try:
        route = await client.wait_for_voice("nova", engine="upstream")
        assert route.voice.sample_rate == 24000
        text = story(3)
        stream = await client.open(text, "nova", engine="upstream")
        pcm = await collect(stream)
        assert stream.sample_rate == 24000
        assert_is_speech(pcm, 24000, text, whisper)
        assert KEY not in engine.log()  # the secret never reaches the logs
    finally:
        await client.close()


async def test_remote_engine_speaks_the_voicebox_provider_api(
    nats_server: NatsServer,
    upstream: RunningAdapter,
    remote_engines: list[EngineProcess],
    engine_logs: Path,
    whisper: object,
) -> None:
    start_remote(
        remote_engines,
        nats_server.url,
        engine_logs,
        "desktop",
        upstream.url,
        KEY,
        VOICEBUS_REMOTE_API="voicebox",
    )
    client = await HubClient.connect(
        client_settings(nats_server.url, subject_prefix=PREFIX), "test-remote-voicebox"
    )
    try:
        await client.wait_for_voice("alloy", engine="desktop")
        text = story(2)
        stream = await client.open(text, "alloy", engine="desktop")
        assert_is_speech(await collect(stream), stream.sample_rate, text, whisper)
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("name", "base_url", "key", "reason"),
    [
        ("wrongkey", None, "not-the-key", "remote_api_key"),
        ("nowhere", "http://127.0.0.1:9/v1", KEY, "cannot reach"),
    ],
)
async def test_upstream_failures_are_typed(
    nats_server: NatsServer,
    upstream: RunningAdapter,
    remote_engines: list[EngineProcess],
    engine_logs: Path,
    name: str,
    base_url: str | None,
    key: str,
    reason: str,
) -> None:
    start_remote(
        remote_engines, nats_server.url, engine_logs, name, base_url or upstream.base_url, key
    )
    settings = client_settings(nats_server.url, subject_prefix=PREFIX)
    client = await HubClient.connect(settings, f"test-remote-{name}")
    try:
        await client.wait_for_voice("alloy", engine=name)
        stream = await client.open("This will not work.", "alloy", engine=name)
        with pytest.raises(EngineUnavailableError) as failure:
            await collect(stream)
        assert reason in str(failure.value)
    finally:
        await client.close()
