"""The auth token and account SID are never logged, even at DEBUG, on the inbound path:
the signed webhook (whose form holds ``AccountSid``), the media socket (whose ``start`` holds
``accountSid``) and the ``stop``."""

from __future__ import annotations

import asyncio
import logging
import re

import httpx2
import pytest

from adapters.twilio.app import TwilioAdapter
from tests.adapters.twilio.support import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, FakeTwilio
from tests.adapters.twilio.test_webhook import sign

OUR_CLIENT = "websockets.client"
"""The fake Twilio side's own WebSocket client: it logs what it sends, as Twilio would."""


async def test_no_secret_is_logged_at_debug_over_a_whole_inbound_call(
    twilio_server: TwilioAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    form = {"AccountSid": ACCOUNT_SID, "CallSid": "CA" + "2" * 32, "From": "+15550001111"}
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_URL}/twilio/voice", form)}
    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{twilio_server.port}") as client:
        answer = await client.post("/twilio/voice", data=form, headers=headers)
    assert answer.status_code == 200
    token = re.search(r'<Parameter name="token" value="([^"]+)"', answer.text)
    assert token is not None
    async with FakeTwilio(twilio_server.port) as twilio:
        await twilio.start({"token": token.group(1)})  # start.accountSid is ACCOUNT_SID
        await twilio.wait_marks_heard(2)
        await twilio.stop()
        await asyncio.wait_for(twilio.closed.wait(), 5)
    records = [r for r in caplog.records if not r.name.startswith(OUR_CLIENT)]
    assert any(r.levelno == logging.DEBUG for r in records), "nothing was logged at DEBUG"
    assert any("answered call" in r.getMessage() for r in records)
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in records)
    assert AUTH_TOKEN not in logged and ACCOUNT_SID not in logged
