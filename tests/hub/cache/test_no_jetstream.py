"""Without JetStream the cache steps aside: speech still works, from the engine, and the
cache says why it is unavailable instead of failing requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.cache import CachingSource, cache_state
from hub.client import HubClient
from hub.process.natsserver import NatsServer
from tests.conftest import DEFAULT_VOICE, client_settings
from tests.hub.cache.support import cache_settings


async def test_speech_goes_on_without_jetstream(
    tmp_path: Path, start_engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = NatsServer(tmp_path / "nats", port=-1, jetstream=False)
    server.start()
    try:
        start_engine(server.url)
        settings = client_settings(server.url, cache=cache_settings())
        async with await HubClient.connect(settings, "test-cache-no-js") as hub:
            await hub.wait_for_voice(DEFAULT_VOICE)
            for _ in range(2):
                stream = await hub.open("The bell rang twice.", DEFAULT_VOICE)
                async with stream:
                    pcm = b"".join([chunk async for chunk in stream])
                    assert len(pcm) > 22050 and await cache_state(stream) == "miss"
            source = hub.sentence_source
            assert isinstance(source, CachingSource) and await source.stats() is None
    finally:
        server.stop()
    assert "audio cache unavailable, synthesizing everything" in caplog.text
    assert "needs JetStream" in caplog.text
