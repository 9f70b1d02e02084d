"""Every error code the OpenAI adapter can send is documented in docs/openai.md's error
section, and so is every code the bad-input corpus accepts."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.openai import errors
from tests.adapters.openai.test_corpus import DOCUMENTED

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [
    *sorted((ROOT / "adapters" / "openai").glob("*.py")),
    ROOT / "adapters" / "http_guard.py",
]


def documented_codes() -> set[str]:
    """The backquoted codes of the error section (its table and the paragraph after it)."""
    text = (ROOT / "docs" / "openai.md").read_text(encoding="utf-8")
    section = text[text.index("One exception handler writes") : text.index("### `GET /v1/models`")]
    return set(re.findall(r"`([a-z_]+)`", section))


def codes_the_adapter_sends() -> set[str]:
    """Codes written in the source (``code="..."`` and the guard's raw answers) and those of
    the error handler's mapping tables."""
    source = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    codes = set(re.findall(r'\bcode="([a-z_]+)"', source))
    codes |= set(re.findall(r'error_bytes\([^()]*"([a-z_]+)"\)', source))
    codes |= {code.value for code in errors._BY_CODE}
    codes |= set(errors._VALIDATION_CODES.values()) | set(errors._STATUS_CODES.values())
    return codes | {"server_error"}  # _status_code_name's answer for any other 5xx


def test_every_code_the_adapter_sends_is_documented() -> None:
    sent = codes_the_adapter_sends()
    assert {"invalid_http", "request_timeout", "too_many_connections", "timeout"} <= sent
    assert sent - documented_codes() == set()


def test_every_code_the_corpus_accepts_is_documented() -> None:
    assert DOCUMENTED - documented_codes() == set()
