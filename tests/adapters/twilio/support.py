"""Twilio's side of a call, played exactly: a real WebSocket client speaking Media Streams.

``FakeTwilio`` sends ``connected``, ``start`` (with ``mediaFormat`` and
``customParameters``), inbound ``media`` every 20 ms from ``start`` on (a quiet line's hiss,
or the caller's speech while :meth:`FakeTwilio.speak` runs), ``dtmf``, ``mark`` and ``stop``; it
plays what it receives at 8000 bytes a second, echoes each ``mark`` once the audio before it
has played (and every pending mark at once on ``clear``, as Twilio does), and records gaps.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from adapters.twilio import tokens
from adapters.twilio.app import TwilioAdapter
from adapters.twilio.settings import TwilioSettings
from hub.audio.decode import mulaw_to_pcm
from hub.client import HubClient

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
PUBLIC_URL = "https://voice.example.com"
FRAME = 160
SILENCE = b"\xff" * FRAME
PHONE_FORMAT = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}


def twilio_settings(**overrides: Any) -> TwilioSettings:
    values: dict[str, Any] = {
        "port": 0,
        "auth_token": AUTH_TOKEN,
        "account_sid": ACCOUNT_SID,
        "public_url": PUBLIC_URL,
        "greeting": "Hello caller. Welcome to the voice bus.",
        **overrides,
    }
    return TwilioSettings(**values)


@contextlib.asynccontextmanager
async def running_adapter(settings: TwilioSettings, hub: HubClient) -> AsyncIterator[TwilioAdapter]:
    adapter = TwilioAdapter(settings, hub)
    stop = asyncio.Event()
    task = asyncio.create_task(adapter.serve(stop))
    try:
        await adapter.wait_started()
        yield adapter
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


def new_token(text: str = "") -> str:
    return tokens.mint(AUTH_TOKEN, 60, text)


@dataclass
class Received:
    at: float
    message: dict[str, Any]
    text: bool


@dataclass
class Playback:
    """What Twilio's buffer does with the audio it gets."""

    ends_at: float = 0.0
    gaps: list[float] = field(default_factory=list)
    pending_marks: list[str] = field(default_factory=list)


class FakeTwilio:
    def __init__(self, port: int, call_sid: str | None = None) -> None:
        self.url = f"ws://127.0.0.1:{port}/twilio/media"
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.received: list[Received] = []
        self.echoed: list[str] = []
        self.playback = Playback()
        self.closed = asyncio.Event()
        self.started_at = 0.0
        self._sequence = 0
        self._chunk = 0
        self._ws: ClientConnection | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._changed = asyncio.Event()
        self._talking = False
        self.close_code: int | None = None
        self.close_reason: str | None = None

    async def __aenter__(self) -> FakeTwilio:
        self._ws = await connect(self.url)
        self._tasks.append(asyncio.create_task(self._read()))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        assert self._ws is not None
        await self._ws.close()

    # ---- what Twilio sends --------------------------------------------------------------

    async def send(self, body: dict[str, Any]) -> None:
        assert self._ws is not None
        if body["event"] != "connected":
            self._sequence += 1
            body = {"sequenceNumber": str(self._sequence), "streamSid": self.stream_sid, **body}
        await self._ws.send(json.dumps(body))

    async def start(self, params: dict[str, str], media_format: Any = PHONE_FORMAT) -> None:
        """``connected`` and ``start`` (``media_format`` None: without one), then the line's
        hiss every 20 ms, as Twilio does."""
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        self.started_at = time.monotonic()
        start = {
            "accountSid": "AC" + "0" * 32,
            "streamSid": self.stream_sid,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "customParameters": params,
        }
        if media_format is not None:
            start["mediaFormat"] = media_format
        await self.send({"event": "start", "start": start})
        self._tasks.append(asyncio.create_task(self._line()))

    async def _line(self) -> None:
        """Inbound media every 20 ms while the caller is not speaking: a quiet line."""
        hiss = line_noise(50)
        with contextlib.suppress(ConnectionClosed):
            for index in itertools.count():
                await asyncio.sleep(0.02)
                if not self._talking:
                    await self.media(hiss[index % len(hiss)])

    async def media(self, frame: bytes) -> None:
        self._chunk += 1
        payload = base64.b64encode(frame).decode()
        media = {"track": "inbound", "chunk": str(self._chunk), "timestamp": "0"}
        await self.send({"event": "media", "media": {**media, "payload": payload}})

    async def speak(self, frames: list[bytes]) -> float:
        """Send ``frames`` every 20 ms, as a caller's phone does; return when the first went.
        The caller stops when the adapter hangs up."""
        self._talking = True
        first = time.monotonic()
        try:
            for frame in frames:
                if self.closed.is_set():
                    break
                with contextlib.suppress(ConnectionClosed):
                    await self.media(frame)
                await asyncio.sleep(0.02)
        finally:
            self._talking = False
        return first

    async def dtmf(self, digit: str) -> None:
        await self.send({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": digit}})

    async def stop(self) -> None:
        stop = {"accountSid": "AC" + "0" * 32, "callSid": self.call_sid}
        await self.send({"event": "stop", "stop": stop})

    async def hang_up(self) -> None:
        """Close the socket without a ``stop`` (a dropped line)."""
        assert self._ws is not None
        await self._ws.close()

    async def raw(self, data: str | bytes) -> None:
        assert self._ws is not None
        await self._ws.send(data)

    # ---- what Twilio receives and plays --------------------------------------------------

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                self.received.append(Received(time.monotonic(), message, isinstance(raw, str)))
                await self._play(message)
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code, self.close_reason = self._ws.close_code, self._ws.close_reason
            self.closed.set()
            self._changed.set()

    async def _play(self, message: dict[str, Any]) -> None:
        now, play = time.monotonic(), self.playback
        if message["event"] == "media":
            audio = base64.b64decode(message["media"]["payload"])
            if play.ends_at and now > play.ends_at:
                play.gaps.append(now - play.ends_at)
            play.ends_at = max(play.ends_at, now) + len(audio) / 8000
        elif message["event"] == "mark":
            name = message["mark"]["name"]
            play.pending_marks.append(name)
            self._tasks.append(asyncio.create_task(self._echo_mark(name, play.ends_at - now)))
        elif message["event"] == "clear":
            for name in play.pending_marks:
                await self._echo(name)
            play.pending_marks.clear()
            play.ends_at = 0.0

    async def _echo_mark(self, name: str, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))
        if name in self.playback.pending_marks:
            self.playback.pending_marks.remove(name)
            await self._echo(name)

    async def _echo(self, name: str) -> None:
        self.echoed.append(name)
        with contextlib.suppress(ConnectionClosed):
            await self.send({"event": "mark", "mark": {"name": name}})

    # ---- looking at it -------------------------------------------------------------------

    def events(self, kind: str) -> list[Received]:
        return [item for item in self.received if item.message["event"] == kind]

    def frames(self) -> list[bytes]:
        return [base64.b64decode(r.message["media"]["payload"]) for r in self.events("media")]

    def pcm(self) -> bytes:
        return mulaw_to_pcm(b"".join(self.frames()))

    async def wait_for(self, check: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the fake Twilio side did not see what it waited for")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))

    async def wait_marks_heard(self, count: int, timeout: float = 30.0) -> None:
        await self.wait_for(lambda: len(self.echoed) >= count, timeout)


class BusWatch:
    """Messages on a bus subject, as they arrive."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, str, bytes]] = []

    async def handler(self, msg: Any) -> None:
        self.messages.append((time.monotonic(), msg.subject, msg.data))

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(data) for _, _, data in self.messages]

    def kinds(self) -> list[str]:
        return [body["event"] for body in self.json()]


async def caller_speech(hub: HubClient, text: str) -> list[bytes]:
    """A caller saying ``text``: 20 ms mu-law frames from the hub, starting at the first
    frame that is speech (so "the first frame of caller speech" is the first one sent)."""
    from adapters.twilio.call import PHONE_AUDIO
    from adapters.twilio.vad import level_db

    frames = [frame async for frame in hub.synthesize(text, output=PHONE_AUDIO)]
    first = next(i for i, frame in enumerate(frames) if level_db(frame) > -30)
    return frames[first:]


async def engine_cancelled(hub: HubClient, instance: str) -> int:
    """How many jobs the worker ``instance`` has ended as cancelled (its announcement)."""
    workers = await hub.refresh()
    return next(worker.cancelled for worker in workers if worker.instance == instance)


async def wait_engine_cancelled(
    hub: HubClient, instance: str, above: int, timeout: float = 10.0
) -> int:
    """Wait until the worker's cancelled count is over ``above``: the engine really stopped
    work (not only that someone published a cancel); return the count."""
    deadline = time.monotonic() + timeout
    while (count := await engine_cancelled(hub, instance)) <= above:
        assert time.monotonic() < deadline, f"the engine never stopped: cancelled {count}"
        await asyncio.sleep(0.2)
    return count


def line_noise(count: int, seed: int = 7) -> list[bytes]:
    """Hiss around -45 dBFS (small mu-law codes of both signs): what a quiet line sounds like."""
    import numpy as np

    rng = np.random.default_rng(seed)
    codes = rng.integers(0xE0, 0x100, size=count * FRAME) ^ rng.choice([0, 0x80], count * FRAME)
    data = codes.astype(np.uint8).tobytes()
    return [data[i : i + FRAME] for i in range(0, len(data), FRAME)]


async def wait_engine_idle(hub: HubClient, instance: str, timeout: float = 10.0) -> None:
    """Wait until the worker ``instance`` has nothing running or queued."""
    deadline = time.monotonic() + timeout
    while True:
        workers = await hub.refresh()
        worker = next(worker for worker in workers if worker.instance == instance)
        if worker.in_flight == 0 and worker.queued == 0:
            return
        assert time.monotonic() < deadline, f"the engine is still busy: {worker.in_flight} running"
        await asyncio.sleep(0.2)
