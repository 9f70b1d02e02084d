"""Outbound calls: Twilio's REST ``Calls.create`` with TwiML that connects the media stream
and speaks the text (then hangs up, unless told not to)."""

from __future__ import annotations

import logging
import re

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from adapters.twilio import tokens, twiml
from adapters.twilio.settings import TwilioSettings

_LOGGER = logging.getLogger(__name__)
_HTTP_LOGGER = logging.getLogger(f"{__name__}.http")
"""twilio's HTTP client logs request URLs, which hold the account SID: warnings only."""
_HTTP_LOGGER.setLevel(logging.WARNING)
_ACCOUNT_PATH = re.compile(r"/Accounts/[^/\s]+")


class _HideAccount(logging.Filter):
    """urllib3 logs request paths at debug level: blank the account SID in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/Accounts/" in message:
            record.msg, record.args = _ACCOUNT_PATH.sub("/Accounts/AC…", message), None
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_HideAccount())


class OutboundError(Exception):
    """The call could not be placed (settings missing, or Twilio refused it)."""


def rest_client(settings: TwilioSettings) -> Client:
    sid = settings.account_sid.get_secret_value()
    token = settings.auth_token.get_secret_value()
    if not sid or not token:
        raise OutboundError("set twilio.account_sid and twilio.auth_token to place calls")
    client = Client(sid, token, http_client=TwilioHttpClient(logger=_HTTP_LOGGER))
    if settings.api_base:
        client.api.base_url = settings.api_base.rstrip("/")
    return client


def call_twiml(
    settings: TwilioSettings,
    text: str,
    voice: str | None,
    hangup: bool,
    barge_in: bool | None = None,
) -> str:
    if not settings.public_url:
        raise OutboundError("set twilio.public_url: Twilio must reach the media socket")
    token = tokens.mint(settings.auth_token.get_secret_value(), settings.token_ttl, text)
    try:
        return twiml.connect_stream(
            settings.public_url,
            token,
            say=text,
            voice=voice or settings.voice,
            hangup=hangup,
            barge_in=settings.barge_in if barge_in is None else barge_in,
        )
    except ValueError as error:
        raise OutboundError(str(error)) from error


def place_call(
    settings: TwilioSettings,
    to: str,
    text: str,
    voice: str | None = None,
    hangup: bool | None = None,
    barge_in: bool | None = None,
) -> str:
    """Place the call; return its CallSid. ``hangup`` and ``barge_in`` default to the
    settings' ``hangup_after`` and ``barge_in``."""
    if not settings.from_number:
        raise OutboundError("set twilio.from_number (the caller ID, +E.164)")
    hangup = settings.hangup_after if hangup is None else hangup
    document = call_twiml(settings, text, voice, hangup, barge_in)
    client = rest_client(settings)
    try:
        call = client.calls.create(to=to, from_=settings.from_number, twiml=document)
    except TwilioRestException as error:  # its str() holds the URL, with the account SID
        raise OutboundError(f"Twilio refused the call ({error.code}): {error.msg}") from None
    except (TwilioException, requests.RequestException) as error:
        raise OutboundError(f"could not reach Twilio ({type(error).__name__})") from None
    _LOGGER.info("placed call %s", call.sid)
    return str(call.sid)
