"""The engine-side helpers shared by cloning engines (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from engines.cloning import ConditioningCache, language_code, tensor_bytes
from hub.contract.errors import InvalidRequestError


def test_cache_is_bounded_by_count_and_bytes() -> None:
    made: list[str] = []

    def make(key: str, size: int) -> np.ndarray:
        made.append(key)
        return np.zeros(size, dtype=np.uint8)

    cache: ConditioningCache[np.ndarray] = ConditioningCache(2, 1000, tensor_bytes)
    cache.get_or_make("a", lambda: make("a", 100))
    cache.get_or_make("b", lambda: make("b", 100))
    cache.get_or_make("a", lambda: make("a", 100))  # hit; "a" is now the newest
    cache.get_or_make("c", lambda: make("c", 100))  # evicts "b" (count bound)
    assert made == ["a", "b", "c"] and cache.hits == 1 and len(cache) == 2
    cache.get_or_make("d", lambda: make("d", 850))  # 1050 bytes: evicts "a" (byte bound)
    assert len(cache) == 2 and cache.bytes == 950
    cache.get_or_make("huge", lambda: make("huge", 5000))  # returned, never kept
    assert len(cache) == 2 and cache.bytes == 950


def test_tensor_bytes_walks_containers() -> None:
    class Holder:
        def __init__(self) -> None:
            self.inner = {"x": np.zeros(10, dtype=np.float32), "y": [np.zeros(4, np.int16)]}

    assert tensor_bytes(Holder()) == 48


def test_language_codes_map_to_supported_ones() -> None:
    supported = ["en", "zh-cn", "pt"]
    assert language_code(None, supported, "en") == "en"
    assert language_code("en-US", supported, "en") == "en"
    assert language_code("zh", supported, "en") == "zh-cn"
    assert language_code("PT_br", supported, "en") == "pt"
    with pytest.raises(InvalidRequestError, match="not supported"):
        language_code("tlh", supported, "en")
