"""A flight's sentence, made once on the whole bus: the first process to claim it makes it;
another waits for that process's clip, and makes it itself only if no clip comes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, NamedTuple

from hub.cache.claims import CLAIM_SECONDS
from hub.cache.key import CacheKey
from hub.cache.store import AudioCache, Clip
from hub.contract.schemas import StreamEnd, SynthesisRequest


class CachedChunk(NamedTuple):
    """A stored clip's PCM: the shape of the client's ``PcmChunk`` (pcm, rate)."""

    pcm: bytes
    rate: int


def end_of_clip(request: SynthesisRequest, clip: Clip) -> StreamEnd:
    """The end of a sentence served from the store (no synthesis time)."""
    return StreamEnd(
        request_id=request.request_id,
        chunks=1,
        audio_seconds=clip.seconds,
        synthesis_seconds=0.0,
        real_time_factor=0.0,
    )


class ClaimedSentence:
    """The sentence audio a flight reads: claimed and made here, or made elsewhere."""

    def __init__(
        self,
        inner: Any,
        store: AudioCache,
        key: CacheKey,
        request: SynthesisRequest,
        routes: Sequence[Any],
    ) -> None:
        self._inner = inner
        self._store = store
        self._key = key
        self._request = request
        self._routes = routes
        self._call: Any = None
        self.start: Any = None
        self.end: StreamEnd | None = None
        self.fallbacks = 0
        self._claim: asyncio.Future[bool] | None = None
        self.token = uuid.uuid4().bytes
        """Marks the claim as this sentence's own."""
        self.fetched = False
        """The audio is another process's stored clip."""

    @property
    def engine(self) -> str:
        return str(self._call.engine if self._call is not None else self._routes[0].engine)

    async def chunks(self) -> AsyncIterator[Any]:
        remaining = self._request.deadline - time.time()
        claiming = self._store.claims.claim(self._key, self.token, min(CLAIM_SECONDS, remaining))
        self._claim = asyncio.ensure_future(claiming)
        if await asyncio.shield(self._claim):  # a cancel here still learns the answer
            clip = await self._store.find(self._key)  # stored elsewhere just before we claimed?
        else:
            clip = await self._store.wait(self._key, time.monotonic() + remaining)
        if clip is not None:
            self.fetched = True
            self.end = end_of_clip(self._request, clip)
            yield CachedChunk(clip.pcm, clip.rate)
            return
        self._call = self._inner.start(self._request, self._routes)
        async for chunk in self._call.chunks():
            yield chunk
        self.start, self.end = self._call.start, self._call.end
        self.fallbacks = self._call.fallbacks

    async def claimed(self) -> bool:
        """Whether this sentence holds the bus-wide claim (waits for a claim in progress)."""
        if self._claim is None:
            return False
        await asyncio.wait([self._claim])
        return not self._claim.cancelled() and not self._claim.exception() and self._claim.result()

    async def cancel(self, reason: str = "client") -> None:
        if self._call is not None:
            await self._call.cancel(reason)
