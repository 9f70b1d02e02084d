"""The audio cache over REST, with the official SDK and httpx against the real app: the
X-Voicebus-Cache header, byte-identical hits, ``cache: false``, ``priority``, the
/v1/cache routes and the cache's metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from hub.client import HubClient
from hub.process.natsserver import NatsServer
from tests.adapters.openai.support import RunningAdapter, adapter_settings, running_adapter
from tests.conftest import DEFAULT_VOICE, EngineProcess, client_settings
from tests.helpers import assert_is_speech
from tests.hub.cache.support import SynthRequests, cache_settings, spy_on_synthesis


@pytest.fixture
async def cached_server(
    nats_server: NatsServer, piper_engine: EngineProcess
) -> AsyncIterator[RunningAdapter]:
    settings = client_settings(nats_server.url, cache=cache_settings())
    async with await HubClient.connect(settings, "test-openai-cache") as hub:
        await hub.wait_for_voice(DEFAULT_VOICE)
        async with running_adapter(adapter_settings(), hub) as running:
            yield running


@pytest.fixture
async def synth_requests(nats_server: NatsServer) -> AsyncIterator[SynthRequests]:
    async with spy_on_synthesis(nats_server.url) as seen:
        yield seen


async def _speech(server: RunningAdapter, text: str, **extra: Any) -> tuple[bytes, str]:
    client = server.async_client()
    response = await client.audio.speech.with_raw_response.create(
        model="tts-1",
        voice=DEFAULT_VOICE,
        input=text,
        response_format=extra.pop("response_format", "pcm"),
        extra_body=extra or None,
    )
    return response.content, response.headers["x-voicebus-cache"]


async def test_a_hit_answers_the_same_bytes_and_says_so(
    cached_server: RunningAdapter, synth_requests: SynthRequests, whisper: Any
) -> None:
    text = "The orchard gave us forty baskets of apples."
    miss, first = await _speech(cached_server, text)
    hit, second = await _speech(cached_server, text)
    assert (first, second) == ("miss", "hit")
    assert hit == miss and synth_requests.count(text) == 1
    assert_is_speech(hit, 24000, text, whisper)
    mp3, third = await _speech(cached_server, text, response_format="mp3")
    assert third == "hit" and (mp3[:3] == b"ID3" or mp3[0] == 0xFF)  # an MP3 frame sync
    assert synth_requests.count(text) == 1  # one entry serves every format


async def test_partial_bypass_and_priority(
    cached_server: RunningAdapter, synth_requests: SynthRequests
) -> None:
    known = "Please close the gate behind you."
    await _speech(cached_server, known)
    _, state = await _speech(cached_server, f"{known} The sheep are out tonight.")
    assert state == "partial"
    _, bypassed = await _speech(cached_server, known, cache=False, priority="batch")
    assert bypassed == "miss"
    requests = synth_requests.of(known)
    assert len(requests) == 2 and requests[-1]["priority_class"] == "batch"
    assert requests[0]["priority_class"] == "interactive"


async def test_a_bad_priority_is_a_clear_400(cached_server: RunningAdapter) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await _speech(cached_server, "Hello there.", priority="urgent")
    assert caught.value.status_code == 400 and "priority" in str(caught.value.body)


async def test_stats_clear_and_metrics(cached_server: RunningAdapter) -> None:
    text = "Our train leaves from platform nine."
    await _speech(cached_server, text)
    await _speech(cached_server, text)
    async with cached_server.http() as http:
        stats = (await http.get("/v1/cache")).json()
        assert stats["entries"] >= 1 and stats["bytes"] > 0 and stats["hits"] == 1
        assert set(stats) == {
            "enabled", "entries", "bytes", "budget_bytes", "ttl_seconds", "hits", "misses",
            "evictions",
        }  # fmt: skip
        assert stats["enabled"] is True
        metrics = (await http.get("/metrics")).text
        assert "voicebus_cache_hits_total 1.0" in metrics
        assert "voicebus_cache_misses_total" in metrics and "voicebus_cache_bytes" in metrics
        assert "voicebus_cache_evictions_total 0.0" in metrics
        other = (await http.delete("/v1/cache", params={"voice": "en_US-amy-medium"})).json()
        assert other == {"deleted": 0}
        cleared = (await http.delete("/v1/cache", params={"voice": "alloy"})).json()
        assert cleared["deleted"] == stats["entries"]  # alloy is joe's alias
        assert (await http.get("/v1/cache")).json()["entries"] == 0
    _, state = await _speech(cached_server, text)
    assert state == "miss"


async def test_with_the_cache_off_the_routes_say_so(openai_server: RunningAdapter) -> None:
    async with openai_server.http() as http:
        stats = await http.get("/v1/cache")
        assert stats.status_code == 200
        assert stats.json()["enabled"] is False and stats.json()["entries"] == 0
        response = await http.delete("/v1/cache")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "cache_disabled"
        metrics = (await http.get("/metrics")).text
    assert "voicebus_cache_hits_total" not in metrics  # no cache, no series
    _, state = await _speech(openai_server, "The cache is off today.")
    assert state == "miss"
