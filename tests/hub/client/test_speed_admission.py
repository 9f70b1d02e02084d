"""The hub's check of ``speed`` before routing: a real, finite number from 0.25 to 4, and a
refusal that names the range."""

from __future__ import annotations

import math

import pytest

from hub.client.admission import MAX_SPEED, MIN_SPEED, check_speed
from hub.contract.errors import InvalidRequestError


@pytest.mark.parametrize("speed", [0.25, 0.5, 1, 1.0, 2.5, 4, 4.0])
def test_real_speeds_in_range_pass_as_floats(speed: float) -> None:
    assert check_speed(speed) == float(speed)
    assert type(check_speed(speed)) is float


@pytest.mark.parametrize(
    "speed",
    [0, 0.2499, 4.0001, -1, 1e9, math.nan, math.inf, -math.inf, "1.5", True, False, None, [1]],
    ids=repr,
)
def test_anything_else_is_refused_naming_the_range(speed: object) -> None:
    with pytest.raises(InvalidRequestError) as refusal:
        check_speed(speed)
    assert f"from {MIN_SPEED} to {MAX_SPEED}" in refusal.value.message
    assert refusal.value.suggestion and "1.0" in refusal.value.suggestion
