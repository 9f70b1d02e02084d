"""A raw bus caller for the engine contract: one request, every reply message kept."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np
from nats.aio.client import Client

from hub.client.discovery import Discovery
from hub.contract.schemas import (
    KIND_HEADER,
    CancelRequest,
    EngineAnnouncement,
    MessageKind,
    StreamEnd,
    StreamError,
    StreamStart,
    SynthesisRequest,
)
from hub.contract.subjects import Subjects

SUBJECTS = Subjects()


@dataclass
class Reply:
    start: StreamStart | None = None
    chunks: list[bytes] = field(default_factory=list)
    end: StreamEnd | None = None
    error: StreamError | None = None

    @property
    def pcm(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def samples(self) -> np.ndarray:
        return np.frombuffer(self.pcm, dtype="<i2").astype(np.float32) / 32768.0


def request(text: str, voice: str, timeout: float = 120.0, **fields: object) -> SynthesisRequest:
    return SynthesisRequest(text=text, voice=voice, deadline=time.time() + timeout, **fields)


class Call:
    """One request in flight on the raw bus."""

    def __init__(self, nc: Client, engine: str, req: SynthesisRequest) -> None:
        self.nc = nc
        self.engine = engine
        self.req = req
        self.reply = Reply()
        self.started = asyncio.Event()
        self.first_chunk = asyncio.Event()
        self.done = asyncio.Event()

    async def send(self) -> Call:
        inbox = self.nc.new_inbox()
        self._sub = await self.nc.subscribe(inbox, cb=self._on_message)
        await self.nc.publish(
            SUBJECTS.synth(self.engine), self.req.model_dump_json().encode(), reply=inbox
        )
        return self

    async def _on_message(self, msg: object) -> None:
        kind = MessageKind((msg.headers or {}).get(KIND_HEADER, ""))  # type: ignore[attr-defined]
        data: bytes = msg.data  # type: ignore[attr-defined]
        if kind is MessageKind.START:
            self.reply.start = StreamStart.model_validate_json(data)
            self.started.set()
        elif kind is MessageKind.CHUNK:
            self.reply.chunks.append(data)
            self.first_chunk.set()
        elif kind is MessageKind.END:
            self.reply.end = StreamEnd.model_validate_json(data)
            self.done.set()
        elif kind is MessageKind.ERROR:
            self.reply.error = StreamError.model_validate_json(data)
            self.done.set()

    async def cancel(self) -> None:
        payload = CancelRequest(request_id=self.req.request_id).model_dump_json().encode()
        await self.nc.publish(SUBJECTS.cancel(self.req.request_id), payload)

    async def result(self, timeout: float = 180.0) -> Reply:
        try:
            await asyncio.wait_for(self.done.wait(), timeout)
        finally:
            await self._sub.unsubscribe()
        return self.reply


async def call(nc: Client, engine: str, req: SynthesisRequest, timeout: float = 180.0) -> Reply:
    return await (await Call(nc, engine, req).send()).result(timeout)


async def announcement(nc: Client, engine: str, timeout: float = 30.0) -> EngineAnnouncement:
    discovery = Discovery(nc, SUBJECTS)
    await discovery.start()
    try:
        found = await discovery.wait_for(lambda d: d.workers_of(engine) > 0, timeout)
        assert found, f"no worker of {engine} announced itself"
        return next(w for w in discovery.workers() if w.engine == engine)
    finally:
        await discovery.stop()
