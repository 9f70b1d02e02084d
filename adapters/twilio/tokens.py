"""One-time stream tokens: minted into the TwiML's ``<Parameter>``, checked in ``start``.

A token is ``<expiry>.<nonce>.<mac>``, the MAC an HMAC-SHA256 under the auth token over the
expiry, the nonce and the call's spoken text, so the ``voicebus call`` command (another
process) can mint one that this adapter accepts. Each nonce is accepted once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time


class TokenError(Exception):
    """A stream token that is missing, forged, expired or already used."""


def _mac(key: bytes, expiry: str, nonce: str, text: str) -> str:
    message = f"{expiry}.{nonce}.{text}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def mint(key: str, ttl: float, text: str = "") -> str:
    """A fresh token valid for ``ttl`` seconds, bound to ``text`` (the call's say text)."""
    expiry = str(int(time.time() + ttl))
    nonce = secrets.token_urlsafe(12)
    return f"{expiry}.{nonce}.{_mac(key.encode(), expiry, nonce, text)}"


class TokenBook:
    """Checks tokens and remembers the nonces already used (until they expire)."""

    def __init__(self, key: str) -> None:
        self._key = key.encode()
        self._used: dict[str, float] = {}

    def redeem(self, token: str | None, text: str = "") -> None:
        """Accept ``token`` once; raise :class:`TokenError` otherwise."""
        if not token or not self._key:
            raise TokenError("no stream token")
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit():
            raise TokenError("malformed stream token")
        expiry, nonce, mac = parts
        if not hmac.compare_digest(mac, _mac(self._key, expiry, nonce, text)):
            raise TokenError("stream token does not verify")
        now = time.time()
        if int(expiry) < now:
            raise TokenError("stream token expired")
        self._forget_expired(now)
        if nonce in self._used:
            raise TokenError("stream token already used")
        self._used[nonce] = float(expiry)

    def _forget_expired(self, now: float) -> None:
        for nonce in [n for n, expiry in self._used.items() if expiry < now]:
            del self._used[nonce]
