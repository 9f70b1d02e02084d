"""``X-Twilio-Signature`` checks against the URL Twilio actually requested.

Twilio signs the public URL (scheme, host, path, query), not the one the adapter sees behind
a tunnel or proxy: it is rebuilt from ``public_url``, or, when the proxy is trusted, from
``X-Forwarded-Proto`` / ``X-Forwarded-Host``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.requests import Request
from twilio.request_validator import RequestValidator

from adapters.twilio.settings import TwilioSettings

_LOGGER = logging.getLogger(__name__)


def requested_url(request: Request, settings: TwilioSettings) -> str:
    """The URL as Twilio called it."""
    url = request.url
    query = f"?{url.query}" if url.query else ""
    if settings.trust_proxy and "x-forwarded-host" in request.headers:
        proto = request.headers.get("x-forwarded-proto", url.scheme).split(",")[0].strip()
        host = request.headers["x-forwarded-host"].split(",")[0].strip()
        return f"{proto}://{host}{url.path}{query}"
    if settings.public_url:
        base = urlsplit(settings.public_url)
        prefix = base.path.rstrip("/")
        return f"{base.scheme}://{base.netloc}{prefix}{url.path}{query}"
    return str(url)


class SignatureCheck:
    def __init__(self, settings: TwilioSettings) -> None:
        self._settings = settings
        self._validator = RequestValidator(settings.auth_token.get_secret_value())

    def valid(self, request: Request, params: Mapping[str, str]) -> bool:
        signature = request.headers.get("x-twilio-signature", "")
        if not signature or not self._settings.auth_token.get_secret_value():
            return False
        url = requested_url(request, self._settings)
        ok = bool(self._validator.validate(url, dict(params), signature))
        if not ok:
            _LOGGER.warning("rejected a webhook with a bad signature for %s", url)
        return ok
