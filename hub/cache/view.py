"""One stream's view of the cache: the source it reads through, and whether it hit.

``for_stream(source, cache=...)`` is what the hub client gives each new stream: a
:class:`StreamCache` over the shared :class:`CachingSource`, or the bus itself when the
stream asked for no cache (or there is none). ``await cache_state(stream)`` answers
``hit`` (every sentence from the store), ``miss`` (none) or ``partial``, which the REST
adapter sends as ``X-Voicebus-Cache``: sentences already started say what they found,
the others are looked up in the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from hub.cache.source import CachedSentence, CachingSource
from hub.contract.schemas import SynthesisRequest

CacheState = Literal["hit", "miss", "partial"]


class StreamCache:
    """The sentence source of one stream: the shared cache, remembering what it found."""

    def __init__(self, source: CachingSource) -> None:
        self.source = source
        self.sentences: list[CachedSentence] = []
        self._template: SynthesisRequest | None = None
        self._routes: Sequence[Any] = ()

    def start(self, request: SynthesisRequest, routes: Sequence[Any]) -> CachedSentence:
        sentence = self.source.start(request, routes)
        self.sentences.append(sentence)
        if self._template is None:
            self._template, self._routes = request, routes
        return sentence

    async def state(self, texts: Sequence[str]) -> CacheState:
        """How the stream's sentences (``texts``, in order) are served."""
        hits = [await sentence.hit() for sentence in self.sentences]
        template = self._template
        for text in texts[len(hits) :]:
            if template is None:
                hits.append(False)
                continue
            request = template.model_copy(update={"text": text})
            hits.append(await self.source.contains(request, self._routes))
        if hits and all(hits):
            return "hit"
        return "partial" if any(hits) else "miss"


def cache_of(source: object) -> CachingSource | None:
    """The hub client's cache (its ``sentence_source``), None when it has none."""
    return source if isinstance(source, CachingSource) else None


async def settle(source: object, timeout: float = 5.0) -> None:
    """Wait (at most ``timeout``) for the sentences in flight to be stored, before a hub
    client closes."""
    if isinstance(source, CachingSource):
        await source.settled(timeout)


def for_stream(source: Any, *, cache: bool = True) -> Any:
    """The sentence source for a new stream (``cache=False``: straight to the bus)."""
    if not isinstance(source, CachingSource):
        return source
    if not cache or not source.settings.enabled:
        return source.inner
    return StreamCache(source)


async def cache_state(stream: Any) -> CacheState:
    """``hit``, ``miss`` or ``partial`` for a stream opened by the hub client."""
    view = getattr(stream, "source", None)
    if not isinstance(view, StreamCache):
        return "miss"
    return await view.state(stream.sentences)
