"""Twilio's call-control routes use the hub's API keys: the ``calls`` scope (``admin`` has
it), 401 / 403 / 429 as on the REST adapter, static ``api_keys`` all-powerful, and a key
revoked anywhere refused within a second."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import nats
import pytest

from adapters.twilio import control
from adapters.twilio.app import TwilioAdapter
from hub.keys import KeyRecord, KeyStore, RateSpec, Scope
from tests.adapters.twilio.support import FakeTwilio, new_token, running_adapter, twilio_settings
from tests.conftest import PrivateBus


@pytest.fixture
async def keyed(private_bus: PrivateBus) -> AsyncIterator[tuple[TwilioAdapter, KeyStore]]:
    """A Twilio adapter with static key ``tw-static`` and a key store, on a bus of its own."""
    hub = await private_bus.client()
    admin_nc = await nats.connect(private_bus.url)  # the admin is another process
    try:
        settings = twilio_settings(api_keys="tw-static")
        async with running_adapter(settings, hub) as adapter:
            yield adapter, await KeyStore.open(admin_nc, private_bus.prefix)
    finally:
        await admin_nc.close()


async def known(adapter: TwilioAdapter, *records: KeyRecord) -> None:
    """Wait (at most 1 s) until the adapter's key ring holds these records as they are now."""
    gate = control.gatekeeper(adapter.app)
    await gate.start()
    assert gate.ring is not None
    await gate.ring.wait_for(
        lambda ring: all(ring.records.get(r.id) == r for r in records), timeout=1.0
    )


def client(adapter: TwilioAdapter, key: str | None = None) -> httpx2.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx2.AsyncClient(base_url=f"http://127.0.0.1:{adapter.port}", headers=headers)


async def status(adapter: TwilioAdapter, key: str | None, method: str, path: str) -> int:
    async with client(adapter, key) as http:
        response = await http.request(method, path, json={"text": "Hello."})
    return response.status_code


async def test_call_control_needs_the_calls_scope(
    keyed: tuple[TwilioAdapter, KeyStore],
) -> None:
    adapter, store = keyed
    calls, calls_token = await store.create("dispatcher", frozenset({Scope.CALLS}))
    speak, speak_token = await store.create("talker", frozenset({Scope.SPEAK}))
    admin, admin_token = await store.create("boss", frozenset({Scope.ADMIN}))
    await known(adapter, calls, speak, admin)

    for token in (calls_token, admin_token, "tw-static"):
        assert await status(adapter, token, "GET", "/twilio/calls") == 200
        # Past the key check: there is no such call.
        assert await status(adapter, token, "POST", "/twilio/calls/CAnone/say") == 404
    async with client(adapter, speak_token) as http:
        refused = await http.post("/twilio/calls/CAnone/hangup")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_permissions"
    assert "calls" in refused.json()["error"]["message"]
    async with client(adapter) as http:
        missing = await http.get("/twilio/calls")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert await status(adapter, "vbk_0123456789ab_" + "x" * 43, "GET", "/twilio/calls") == 401

    await store.revoke("dispatcher")
    await known(adapter, await store.find(calls.id))
    async with client(adapter, calls_token) as http:
        revoked = await http.get("/twilio/calls")
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]


async def test_call_control_limits_answer_429_with_retry_after(
    keyed: tuple[TwilioAdapter, KeyStore],
) -> None:
    adapter, store = keyed
    record, token = await store.create(
        "busy", frozenset({Scope.CALLS}), rate=RateSpec.parse("2/day")
    )
    await known(adapter, record)
    assert [await status(adapter, token, "GET", "/twilio/calls") for _ in range(2)] == [200, 200]
    async with client(adapter, token) as http:
        over = await http.get("/twilio/calls")
    assert over.status_code == 429
    assert 1 <= int(over.headers["retry-after"]) <= 86_400
    assert over.json()["error"]["code"] == "rate_limit_exceeded"
    assert await status(adapter, "tw-static", "GET", "/twilio/calls") == 200  # unlimited


async def test_control_is_open_while_no_key_exists(private_bus: PrivateBus) -> None:
    hub = await private_bus.client()
    async with running_adapter(twilio_settings(), hub) as adapter:
        assert await status(adapter, None, "GET", "/twilio/calls") == 200


async def test_say_counts_its_text_against_the_character_limit(
    keyed: tuple[TwilioAdapter, KeyStore], private_bus: PrivateBus
) -> None:
    adapter, store = keyed
    private_bus.engine()
    record, token = await store.create(
        "chatty", frozenset({Scope.CALLS}), chars=RateSpec.parse("20/day")
    )
    await known(adapter, record)
    async with FakeTwilio(adapter.port) as twilio, client(adapter, token) as http:
        await twilio.start({"token": new_token()})
        await twilio.wait_marks_heard(2)  # the two sentences of the greeting
        say = f"/twilio/calls/{twilio.call_sid}/say"
        assert (await http.post(say, json={"text": "Hello there."})).status_code == 200
        await twilio.wait_marks_heard(3)  # it was spoken
        over = await http.post(say, json={"text": "Good night now."})  # 12 + 15 > 20
        assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1
        assert "limit 20, used 12, requested 15" in over.json()["error"]["message"]
        assert (await http.post(say, json={"text": "Bye now."})).status_code == 200  # 20
        await twilio.wait_marks_heard(4)
