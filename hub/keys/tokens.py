"""Key secrets: made with ``secrets.token_urlsafe``, hashed with a per-key salt.

A token reads ``vbk_<id>_<secret>``: the 12-hex-digit id finds the record without a scan,
the 43-character secret (256 random bits) proves possession. Only the hash is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "vbk_"
_TOKEN = re.compile(r"^vbk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")


def new_key_id() -> str:
    return secrets.token_hex(6)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_salt() -> str:
    return secrets.token_hex(16)


def token_for(key_id: str, secret: str) -> str:
    return f"{PREFIX}{key_id}_{secret}"


def split_token(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a well-formed token, else None."""
    match = _TOKEN.match(token)
    return (match.group(1), match.group(2)) if match else None


def hash_secret(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def secret_matches(salt: str, secret: str, expected_hash: str) -> bool:
    """Constant-time comparison of the secret's hash with the stored one."""
    return hmac.compare_digest(hash_secret(salt, secret), expected_hash)
