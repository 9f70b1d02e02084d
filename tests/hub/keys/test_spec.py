"""Rate specs: what people write (``60/min``, ``20000/day``, ``3/2s``) and clear refusals."""

from __future__ import annotations

import pytest

from hub.keys import RateSpec, RateSpecError, parse_scopes
from hub.keys.model import Scope, check_key_name


@pytest.mark.parametrize(
    ("text", "limit", "seconds", "written"),
    [
        ("60/min", 60, 60, "60/min"),
        ("20000/day", 20000, 86_400, "20000/day"),
        ("3/2s", 3, 2, "3/2s"),
        (" 10 / 5 minutes ", 10, 300, "10/5min"),
        ("500/1.5h", 500, 5400, "500/90min"),
        ("7/hour", 7, 3600, "7/h"),
        ("1/sec", 1, 1, "1/1s"),
        ("100/30d", 100, 30 * 86_400, "100/30day"),
    ],
)
def test_specs_people_write(text: str, limit: int, seconds: int, written: str) -> None:
    spec = RateSpec.parse(text)
    assert (spec.limit, spec.window_seconds) == (limit, seconds)
    assert spec.describe() == written
    assert RateSpec.parse(spec.describe()) == spec


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("60", "write COUNT/WINDOW"),
        ("sixty/min", "write COUNT/WINDOW"),
        ("60/fortnight", "unknown unit 'fortnight'"),
        ("0/min", "at least 1"),
        ("5/0.5s", "whole seconds"),
        ("5/0s", "whole seconds"),
        ("5/32d", "31 days"),
        ("-1/min", "write COUNT/WINDOW"),
    ],
)
def test_bad_specs_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(RateSpecError) as caught:
        RateSpec.parse(text)
    assert says in str(caught.value)


def test_scopes_and_names() -> None:
    assert parse_scopes(["Speak", "voices"]) == {Scope.SPEAK, Scope.VOICES}
    with pytest.raises(ValueError, match="valid: speak, voices, calls, admin"):
        parse_scopes(["root"])
    with pytest.raises(ValueError, match="at least one scope"):
        parse_scopes([])
    assert check_key_name("ci-bot.v2") == "ci-bot.v2"
    for bad in ("", "has space", "-leading", "x" * 65, "a:b"):
        with pytest.raises(ValueError, match="bad key name"):
            check_key_name(bad)
