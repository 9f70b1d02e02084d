"""The audio cache: one clip per sentence in JetStream, shared by every process on the bus.

``key`` makes a sentence's key, ``store`` keeps the clips (``AudioCache``), ``flight`` makes
identical sentences in flight one synthesis, ``source`` is the hub client's caching
sentence source and ``view`` one stream's view of it (``for_stream``, ``cache_state``).
See docs/cache.md.
"""

from hub.cache.key import FORMAT_VERSION, CacheKey, EngineIdentity, cache_key, normalise_text
from hub.cache.source import CachingSource, caching_source
from hub.cache.stats import CacheCounters, CacheStats, StoreState
from hub.cache.store import AudioCache, Clip
from hub.cache.view import CacheState, StreamCache, cache_of, cache_state, for_stream, settle

__all__ = [
    "FORMAT_VERSION",
    "AudioCache",
    "CacheCounters",
    "CacheKey",
    "CacheState",
    "CacheStats",
    "CachingSource",
    "Clip",
    "EngineIdentity",
    "StoreState",
    "StreamCache",
    "cache_key",
    "cache_of",
    "cache_state",
    "caching_source",
    "for_stream",
    "normalise_text",
    "settle",
]
