"""Per-key limits on the REST adapter: requests and characters, OpenAI's 429 with
``Retry-After``, a window that resets, and one limit shared by two adapters on one bus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest

from hub.process.natsserver import NatsServer
from tests.adapters.openai.keys_support import SPEECH, KeyedBus, http, keyed_bus, known
from tests.adapters.openai.support import RunningAdapter


@pytest.fixture(scope="module")
async def keyed(nats_server: NatsServer, engine_logs: Path) -> AsyncIterator[KeyedBus]:
    async with keyed_bus(nats_server.url, engine_logs, "keys-limits") as keyed:
        yield keyed


@pytest.fixture(scope="module")
async def servers(keyed: KeyedBus) -> AsyncIterator[tuple[RunningAdapter, RunningAdapter]]:
    """Two adapters, each with its own NATS connection and its own Gatekeeper."""
    async with keyed.adapter() as first, keyed.adapter() as second:
        yield first, second


async def test_the_request_limit_answers_429_and_resets(
    keyed: KeyedBus, servers: tuple[RunningAdapter, RunningAdapter]
) -> None:
    server = servers[0]
    record, token = await keyed.create("three-per-two", "speak", rate="3/2s")
    await known(server, record)
    client = server.async_client(token)
    refused: openai.RateLimitError | None = None
    passed = 0
    for _ in range(8):  # 3 pass per window; a window ending mid-way only adds passes
        try:
            await client.models.list()
            passed += 1
        except openai.RateLimitError as error:
            refused = error
            break
    assert passed >= 3
    assert refused is not None and refused.status_code == 429
    assert refused.code == "rate_limit_exceeded"
    assert refused.body["type"] == "requests"  # type: ignore[index]
    retry_after = int(refused.response.headers["retry-after"])
    assert 1 <= retry_after <= 2
    assert refused.response.headers["x-ratelimit-limit-requests"] == "3"
    assert refused.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert f"try again in {retry_after}s" in refused.message
    await asyncio.sleep(retry_after)  # waiting on the window itself: it has ended now
    assert (await client.models.list()).data


async def test_the_character_limit_counts_text_and_not_refused_requests(
    keyed: KeyedBus, servers: tuple[RunningAdapter, RunningAdapter]
) -> None:
    first, second = servers
    record, token = await keyed.create("thirty-chars", "speak", chars="30/day")
    await known(first, record)
    await known(second, record)
    speak_first = first.async_client(token).audio.speech.create
    speak_second = second.async_client(token).audio.speech.create
    assert (await speak_first(input="Hello there.", **SPEECH)).content  # 12 characters
    assert (await speak_second(input="Good night.", **SPEECH)).content  # 11: 23 in all
    with pytest.raises(openai.RateLimitError) as over:
        await speak_first(input="See you soon.", **SPEECH)  # 13 more would make 36
    assert over.value.body["type"] == "characters"  # type: ignore[index]
    assert "limit 30, used 23, requested 13" in over.value.message
    assert int(over.value.response.headers["retry-after"]) >= 1
    # The refused text was not counted: seven more characters still fit, on either adapter.
    assert (await speak_second(input="Thanks.", **SPEECH)).content
    with pytest.raises(openai.RateLimitError):
        await speak_first(input="Hi.", **SPEECH)


async def test_two_adapters_share_one_limit_and_a_revocation(
    keyed: KeyedBus, servers: tuple[RunningAdapter, RunningAdapter]
) -> None:
    record, token = await keyed.create("shared-six", "speak", rate="6/day")
    for server in servers:
        await known(server, record)
    async with http(servers[0], token) as one, http(servers[1], token) as two:
        # Ten requests at once, five to each adapter: exactly six pass, whichever they are.
        answers = await asyncio.gather(*(client.get("/v1/models") for client in (one, two) * 5))
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200] * 6 + [429] * 4
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.json()["error"]["code"] == "rate_limit_exceeded"
        assert int(refused.headers["retry-after"]) >= 1

        await keyed.store.revoke("shared-six")
        revoked = await keyed.store.find(record.id)
        for server in servers:
            await known(server, revoked)  # each adapter knows within a second
        for client in (one, two):
            answer = await client.get("/v1/models")
            assert answer.status_code == 401
            assert answer.json()["error"]["message"] == "This API key has been revoked."


async def test_a_refused_scope_does_not_use_the_quota(
    keyed: KeyedBus, servers: tuple[RunningAdapter, RunningAdapter]
) -> None:
    record, token = await keyed.create("one-request", "voices", rate="1/day")
    await known(servers[0], record)
    async with http(servers[0], token) as client:
        assert (await client.get("/v1/models")).status_code == 403  # lacks speak: not counted
        assert (await client.get("/v1/audio/voices")).status_code == 200
        assert (await client.get("/v1/audio/voices")).status_code == 429
