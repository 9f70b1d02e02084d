"""Rate limits whose counters live on the bus: exact across connections, refused charges
not counted, and a window that resets when it ends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hub.keys import RateLimitedError, RateLimiter, RateSpec


async def test_one_limit_shared_by_many_processes_is_exact(connect: Any, prefix: str) -> None:
    limiters = [await RateLimiter.open(await connect(), prefix) for _ in range(3)]
    spec = RateSpec.parse("25/day")

    async def try_once(limiter: RateLimiter) -> bool:
        try:
            await limiter.charge("k1", "requests", spec, 1)
        except RateLimitedError:
            return False
        return True

    # 40 charges at once from three connections racing on one counter: exactly 25 pass.
    results = await asyncio.gather(*(try_once(limiters[i % 3]) for i in range(40)))
    assert sum(results) == 25
    assert await limiters[1].usage("k1", "requests", spec) == 25
    assert await limiters[0].usage("other-key", "requests", spec) == 0


async def test_a_refused_charge_is_not_counted(connect: Any, prefix: str) -> None:
    limiter = await RateLimiter.open(await connect(), prefix)
    spec = RateSpec.parse("30/day")
    assert await limiter.charge("k", "characters", spec, 12) == 12
    assert await limiter.charge("k", "characters", spec, 12) == 24
    with pytest.raises(RateLimitedError) as caught:
        await limiter.charge("k", "characters", spec, 12)
    error = caught.value
    assert (error.kind, error.used, error.requested) == ("characters", 24, 12)
    assert 1 <= error.retry_after <= 86_400
    assert "limit 30, used 24, requested 12" in str(error)
    assert await limiter.charge("k", "characters", spec, 6) == 30  # what fits still passes


async def test_the_window_resets_when_it_ends(connect: Any, prefix: str) -> None:
    limiter = await RateLimiter.open(await connect(), prefix)
    spec = RateSpec.parse("3/2s")
    retry_after = 0
    while not retry_after:  # charge until refused (3 or fewer if a window ends meanwhile)
        try:
            await limiter.charge("k", "requests", spec, 1)
        except RateLimitedError as error:
            retry_after = error.retry_after
    assert 1 <= retry_after <= 2
    await asyncio.sleep(retry_after)  # waiting on the window itself: it has ended by now
    assert await limiter.charge("k", "requests", spec, 1) == 1
