"""The incoming-call webhook, signed by twilio's own validator; TwiML that connects the stream."""

from __future__ import annotations

import re

import httpx2
from twilio.request_validator import RequestValidator

from adapters.twilio.app import TwilioAdapter
from adapters.twilio.outbound import call_twiml
from hub.client import HubClient
from tests.adapters.twilio.support import AUTH_TOKEN, PUBLIC_URL, running_adapter, twilio_settings

FORM = {"CallSid": "CA" + "1" * 32, "From": "+15550001111", "To": "+15550002222"}


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


async def post(port: int, signature: str | None, **headers: str) -> httpx2.Response:
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        return await client.post("/twilio/voice", data=FORM, headers=headers)


async def test_valid_signature_gets_connect_stream(twilio_server: TwilioAdapter) -> None:
    response = await post(twilio_server.port, sign(f"{PUBLIC_URL}/twilio/voice", FORM))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    xml = response.text
    assert '<Connect><Stream name="voicebus" url="wss://voice.example.com/twilio/media">' in xml
    assert "<Start>" not in xml
    token = re.search(r'<Parameter name="token" value="([^"]+)"', xml)
    assert token is not None and len(token.group(1)) > 40


async def test_each_answer_has_a_new_token(twilio_server: TwilioAdapter) -> None:
    signature = sign(f"{PUBLIC_URL}/twilio/voice", FORM)
    first = await post(twilio_server.port, signature)
    second = await post(twilio_server.port, signature)
    assert first.status_code == second.status_code == 200
    assert first.text != second.text


async def test_wrong_signature_is_403(twilio_server: TwilioAdapter) -> None:
    wrong = sign(f"{PUBLIC_URL}/twilio/voice", FORM, token="not-the-token")
    response = await post(twilio_server.port, wrong)
    assert response.status_code == 403
    # Signed for another URL (the adapter's own address, not the public one): also refused.
    local = sign(f"http://127.0.0.1:{twilio_server.port}/twilio/voice", FORM)
    assert (await post(twilio_server.port, local)).status_code == 403


async def test_missing_signature_is_403(twilio_server: TwilioAdapter) -> None:
    response = await post(twilio_server.port, None)
    assert response.status_code == 403
    assert "Connect" not in response.text


async def test_behind_a_trusted_proxy(hub: HubClient) -> None:
    settings = twilio_settings(public_url="", trust_proxy=True)
    async with running_adapter(settings, hub) as adapter:
        url = "https://tunnel.example.net/twilio/voice"
        proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "tunnel.example.net"}
        response = await post(adapter.port, sign(url, FORM), **proxy)
        assert response.status_code == 200
        assert 'url="wss://tunnel.example.net/twilio/media"' in response.text
    # Forwarded headers are not trusted by default: the same request is refused there.
    async with running_adapter(twilio_settings(), hub) as untrusting:
        response = await post(untrusting.port, sign(url, FORM), **proxy)
        assert response.status_code == 403


async def test_a_public_url_with_a_path_prefix_keeps_it_in_the_stream_url(hub: HubClient) -> None:
    """A proxy serving the adapter under ``/vb``: Twilio must be sent to ``/vb/twilio/media``,
    the same URL outbound calls use."""
    settings = twilio_settings(public_url="https://voice.example.com/vb/")
    async with running_adapter(settings, hub) as adapter:
        response = await post(adapter.port, sign("https://voice.example.com/vb/twilio/voice", FORM))
        assert response.status_code == 200, response.text
    stream = 'url="wss://voice.example.com/vb/twilio/media"'
    assert stream in response.text
    assert stream in call_twiml(settings, "Hello.", None, hangup=True)
