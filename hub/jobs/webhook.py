"""The completion webhook: a JSON POST signed with HMAC-SHA256 over the timestamp and body.

    X-Voicebus-Signature: t=1767225600,v1=5f2c...   (hex HMAC-SHA256 of "<t>.<body>")

The receiver recomputes ``hmac_sha256(secret, f"{t}.".encode() + body)`` over the raw body,
compares it in constant time, and refuses a ``t`` too far from its clock (replays); see
:func:`verify` and docs/jobs.md. The secret is ``VOICEBUS_JOBS_WEBHOOK_SECRET``; it is
never logged, nor is the URL's path or query (only its host).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

_LOGGER = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Voicebus-Signature"
EVENT_HEADER = "X-Voicebus-Event"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and its time is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def check_url(url: str) -> str:
    """An absolute http(s) URL, or ValueError saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("webhook_url must be an absolute http:// or https:// URL")
    return url


async def deliver(
    url: str, event: str, payload: dict[str, object], secret: str, *, timeout: float, attempts: int
) -> bool:
    """POST the signed payload; retried with backoff; True once the receiver said 2xx."""
    body = json.dumps(payload).encode()
    host = urlsplit(url).hostname
    for attempt in range(1, attempts + 1):
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "voicebus-jobs",
            EVENT_HEADER: event,
            SIGNATURE_HEADER: signature(secret, int(time.time()), body),
        }
        try:
            status = await asyncio.to_thread(_post, url, body, headers, timeout)
        except (OSError, urllib.error.URLError) as error:
            status, reason = 0, str(getattr(error, "reason", error))
        else:
            reason = f"HTTP {status}"
        if 200 <= status < 300:
            return True
        _LOGGER.warning("webhook to %s failed (%s), attempt %d/%d", host, reason, attempt, attempts)
        if attempt < attempts:
            await asyncio.sleep(2 ** (attempt - 1))
    return False


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
