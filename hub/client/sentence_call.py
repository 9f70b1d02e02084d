"""One synthesis request on the bus (normally one sentence) and its reply stream.

A call publishes the request (where to, and hand-backs: ``hub/client/dispatch.py``) and
pumps the reply stream into a queue that the stream reads in order: PCM chunks (with their
rate), then a ``StreamEnd`` or an exception. Timeouts: ``start_timeout`` for a worker to
accept, ``idle_timeout`` between messages (workers send keepalives while busy), and the
request's deadline. A worker lost before any audio came back is retried with a fresh request
id, so a crash or a NATS restart costs a little time, not the sentence.
:class:`BusSentenceSource`, the stream's default source, makes a call and starts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from hub.client.call_policy import (
    FALLBACK_CODES,
    BusUnreachableError,
    CallOptions,
    NoWorkersError,
    WorkerLostError,
)
from hub.client.discovery import VoiceRoute
from hub.client.dispatch import (
    MAX_HAND_BACKS,
    READY_ANSWER_SECONDS,
    READY_GATE_SECONDS,
    answer_within,
    is_no_responders,
    next_reply,
    no_workers_error,
)
from hub.client.source import PcmChunk
from hub.contract.errors import (
    EngineOverloadedError,
    InternalError,
    VoicebusError,
    error_from_stream,
)
from hub.contract.schemas import (
    KIND_HEADER,
    REQUEST_ID_HEADER,
    SEQ_HEADER,
    CancelRequest,
    MessageKind,
    StreamEnd,
    StreamError,
    StreamStart,
    SynthesisRequest,
    new_request_id,
)
from hub.contract.subjects import Subjects

_LOGGER = logging.getLogger(__name__)


class BusSentenceSource:
    """Sentences made by engines on the bus (the stream's default source)."""

    def __init__(self, nc: Client, subjects: Subjects, options: CallOptions) -> None:
        self._nc = nc
        self._subjects = subjects
        self.options = options
        self._ready_gate = asyncio.Lock()

    def start(self, request: SynthesisRequest, routes: list[VoiceRoute]) -> SentenceCall:
        call = SentenceCall(self._nc, self._subjects, routes, request, self.options)
        call.ready_gate = self._ready_gate  # one ready request of this client at a time
        call.begin()
        return call


class SentenceCall:
    """One sentence on the bus, following the route chain until an engine makes it.

    Each chunk carries the rate of the voice that made it (a fallback voice may have
    another rate); the stream's converter brings it to the stream's format.
    """

    def __init__(
        self,
        nc: Client,
        subjects: Subjects,
        routes: list[VoiceRoute],
        request: SynthesisRequest,
        options: CallOptions,
    ) -> None:
        self._nc = nc
        self._subjects = subjects
        self._routes = routes
        self._route_index = 0
        self.request = request.model_copy(update={"retry_on_busy": True})
        """What goes on the bus: this client re-sends at once when a worker hands it back."""
        self._options = options
        self.fallbacks = 0
        self._items: asyncio.Queue[PcmChunk | StreamEnd | BaseException] = asyncio.Queue()
        self._chunks_received = 0
        self.start: StreamStart | None = None
        self.end: StreamEnd | None = None
        self.finished = False
        self._task: asyncio.Task[None] | None = None
        self.ready_gate = asyncio.Lock()  # from a publish on ready to its answer (dispatch.py)

    def begin(self) -> None:
        """Publish the request and start receiving its audio (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"call-{self.request.request_id}")

    async def chunks(self) -> AsyncIterator[PcmChunk]:
        """PCM in order; raises the call's typed error if it failed."""
        self.begin()
        while True:
            item = await self._items.get()
            if isinstance(item, PcmChunk):
                yield item
            elif isinstance(item, StreamEnd):
                self.end = item
                return
            else:
                raise item

    async def cancel(self, reason: str = "client") -> None:
        """Stop waiting and tell the worker to stop generating."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if not self.finished and self._nc.is_connected:
            await self._publish_cancel(reason)

    async def _publish_cancel(self, reason: str) -> None:
        message = CancelRequest(request_id=self.request.request_id, reason=reason)
        with contextlib.suppress(Exception):
            subject = self._subjects.cancel(self.request.request_id)
            await self._nc.publish(subject, message.model_dump_json().encode())

    @property
    def engine(self) -> str:
        return self._routes[self._route_index].engine

    def _has_fallback(self) -> bool:
        return self._chunks_received == 0 and self._route_index + 1 < len(self._routes)

    @property
    def sample_rate(self) -> int:
        """Rate of the audio now arriving: the engine's word, else the route's voice."""
        if self.start is not None:
            return self.start.sample_rate
        return self._routes[self._route_index].voice.sample_rate

    def _fall_back(self, error: VoicebusError) -> None:
        self._route_index += 1
        route = self._routes[self._route_index]
        _LOGGER.warning("%s; falling back to %s/%s", error.message, route.engine, route.voice.name)
        self.fallbacks += 1
        self.start = None  # the next engine says its own format
        self.request = self.request.model_copy(
            update={"request_id": new_request_id(), "voice": route.voice.name}
        )

    async def _run(self) -> None:
        while True:
            try:
                await self._run_route()
                return
            except VoicebusError as error:
                if error.code in FALLBACK_CODES and self._has_fallback():
                    self._fall_back(error)
                    continue
                self._fail(error)
                return
            except Exception as error:  # a bug or a broken connection: say so, never hang
                _LOGGER.error("synthesis call %s failed", self.request.request_id, exc_info=error)
                self._fail(InternalError("synthesis failed unexpectedly; the hub's log says why"))
                return

    async def _run_route(self) -> None:
        """Try the current route, retrying a lost worker and waiting out a missing one."""
        attempt = 0
        no_workers_since: float | None = None
        while True:
            try:
                await self._attempt()
                return
            except NoWorkersError:
                # Workers come back after a restart or a NATS reconnect: keep trying for
                # start_timeout before giving up (at once when there is a fallback).
                now = time.monotonic()
                no_workers_since = no_workers_since or now
                if self._has_fallback() or now - no_workers_since >= self._options.start_timeout:
                    raise
                await asyncio.sleep(0.25)
            except BusUnreachableError:
                # The bus comes back by itself (voicebus up restarts its nats-server): a
                # sentence with no audio yet waits for it; one half-heard cannot be replayed.
                now = time.monotonic()
                no_workers_since = no_workers_since or now
                if self._chunks_received or now - no_workers_since >= self._options.start_timeout:
                    raise
                await self._wait_for_bus(self._options.start_timeout - (now - no_workers_since))
                self.request = self.request.model_copy(update={"request_id": new_request_id()})
            except WorkerLostError as error:
                if self._chunks_received or attempt >= self._options.retries:
                    raise
                attempt += 1
                _LOGGER.warning("%s; retrying on another worker", error.message)
                self.request = self.request.model_copy(update={"request_id": new_request_id()})

    async def _wait_for_bus(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._nc.is_connected and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

    def _fail(self, error: BaseException) -> None:
        self.finished = True
        self._items.put_nowait(error)

    async def _attempt(self) -> None:
        """Deliver the request (``hub/client/dispatch.py``) and receive its audio; a
        worker that hands it back unstarted (``busy``) makes it go out again at once."""
        for _ in range(MAX_HAND_BACKS):
            inbox = self._nc.new_inbox()
            sub = await self._nc.subscribe(inbox)
            try:
                if await self._receive(sub, inbox):
                    return
            finally:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
            self.start = None  # handed back: the next worker says its own format
        raise EngineOverloadedError(
            f"engine {self.engine}: every worker handed the sentence back",
            "retry later or add workers",
        )

    async def _publish(self, subject: str, inbox: str) -> None:
        headers = {REQUEST_ID_HEADER: self.request.request_id}
        data = self.request.model_dump_json().encode()
        await self._nc.publish(subject, data, reply=inbox, headers=headers)

    async def _receive(self, sub: Subscription, inbox: str) -> bool:
        """Pump the reply stream; True once it ended, False if the worker handed it back."""
        expected_seq = 0
        async for msg in self._replies(sub, inbox):
            kind = (msg.headers or {}).get(KIND_HEADER)
            if kind == MessageKind.START:
                self.start = StreamStart.model_validate_json(msg.data)
            elif kind == MessageKind.CHUNK:
                seq = int((msg.headers or {}).get(SEQ_HEADER, "-1"))
                if seq != expected_seq:
                    raise InternalError(f"audio chunk {expected_seq} was lost (got {seq})")
                expected_seq += 1
                self._chunks_received += 1
                if msg.data:
                    self._items.put_nowait(PcmChunk(msg.data, self.sample_rate))
            elif kind == MessageKind.END:
                self.finished = True
                self._items.put_nowait(StreamEnd.model_validate_json(msg.data))
                return True
            elif kind == MessageKind.ERROR:
                self.finished = True
                raise error_from_stream(StreamError.model_validate_json(msg.data))
            elif kind == MessageKind.BUSY and expected_seq == 0:
                return False
            elif kind != MessageKind.KEEPALIVE:
                _LOGGER.debug("ignoring a reply of unknown kind %r", kind)
        return False  # unreachable: replies end by an error

    async def _replies(self, sub: Subscription, inbox: str) -> AsyncIterator[Msg]:
        """The reply stream of the current request id: first from a worker with a free slot
        (``ready``), else from the queue group; late answers to an abandoned id are skipped."""
        options = self._options

        def wait(timeout: float) -> Awaitable[Msg]:
            return next_reply(self._nc, sub, self.request, options, self.engine, timeout)

        async with self.ready_gate:  # until answered, or READY_GATE_SECONDS at most
            await self._publish(self._subjects.ready(self.engine), inbox)
            msg = await answer_within(wait, READY_GATE_SECONDS)
        msg = msg or await answer_within(wait, READY_ANSWER_SECONDS - READY_GATE_SECONDS)
        if msg is None:  # lost between cluster nodes (or a very slow worker)
            _LOGGER.debug("no answer from ready for %s", self.request.request_id)
            await self._publish_cancel("resent")  # under the old id; on under a new one
            self.request = self.request.model_copy(update={"request_id": new_request_id()})
        if msg is None or is_no_responders(msg):
            await self._publish(self._subjects.synth(self.engine), inbox)
            if is_no_responders(msg := await wait(options.start_timeout)):
                raise no_workers_error(self.engine)
        while True:
            if (msg.headers or {}).get(REQUEST_ID_HEADER) in (None, self.request.request_id):
                yield msg
            msg = await wait(options.idle_timeout)
