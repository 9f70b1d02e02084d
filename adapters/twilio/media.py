"""``WS /twilio/media``: Twilio's side of a call, one :class:`Call` per socket.

The ``start`` message must carry a valid one-time token (else the socket is closed); then
the greeting (or the call's text) is spoken. Binary or malformed frames are logged and
ignored; ``stop``, a closed socket or a hang-up end the call and cancel its synthesis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from adapters.twilio import messages
from adapters.twilio.call import Call, CallEnded, CallOptions
from adapters.twilio.context import TwilioContext
from adapters.twilio.tokens import TokenError
from adapters.twilio.vad import SpeechDetector

_LOGGER = logging.getLogger(__name__)

POLICY_VIOLATION = 1008


class _Ended(Exception):
    """Twilio said ``stop`` or closed the socket."""


PHONE_FORMAT = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
"""The only ``start.mediaFormat`` we speak (PROTOCOLS.md section 3)."""


FORMAT_REASON = "unsupported mediaFormat: audio/x-mulaw 8000 Hz mono only"
"""The close reason the other side gets (a WebSocket close reason is at most 123 bytes)."""


class FormatError(messages.MessageError):
    """``start.mediaFormat`` is not mu-law 8000 Hz mono."""


def _check_format(start: dict[str, Any]) -> None:
    found = start.get("mediaFormat")
    if not isinstance(found, dict) or any(found.get(k) != v for k, v in PHONE_FORMAT.items()):
        raise FormatError(f"unsupported mediaFormat {str(found)[:200]}, not {PHONE_FORMAT}")


def _flag(params: dict[str, Any], name: str, default: bool) -> bool:
    value = params.get(name)
    return default if value is None else str(value).lower() == "true"


class MediaSession:
    def __init__(self, ws: WebSocket, context: TwilioContext) -> None:
        self.ws, self.context = ws, context
        self.call: Call | None = None
        self._lock = asyncio.Lock()
        self.first_text = ""

    async def send(self, text: str) -> None:
        async with self._lock:  # one writer at a time on the socket
            try:
                await self.ws.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError) as error:
                raise CallEnded from error

    async def next_message(self) -> messages.Inbound | None:
        """The next valid message (None for a frame that was ignored)."""
        frame = await self.ws.receive()
        if frame["type"] == "websocket.disconnect":
            raise _Ended
        if frame.get("text") is None:
            _LOGGER.warning("ignored a binary frame on the media socket")
            return None
        try:
            return messages.parse(frame["text"])
        except messages.MessageError as error:
            _LOGGER.warning("ignored a frame on the media socket: %s", error)
            return None

    async def wait_start(self) -> messages.Inbound:
        while True:
            message = await self.next_message()
            if message is not None and message.event == "start":
                return message
            if message is not None and message.event == "stop":
                raise _Ended

    def open_call(self, start: dict[str, Any]) -> Call:
        """Check the format and the token and make the call; raise TokenError or
        MessageError."""
        _check_format(start)
        params = start.get("customParameters") or {}
        if not isinstance(params, dict):
            raise messages.MessageError("customParameters is not an object")
        say = str(params.get("say") or "")
        self.context.tokens.redeem(params.get("token"), say)
        call_sid, stream_sid = str(start["callSid"]), str(start["streamSid"])
        settings = self.context.settings
        options = CallOptions(
            voice=str(params.get("voice") or "") or settings.voice,
            barge_in=_flag(params, "barge_in", settings.barge_in),
            hangup_when_done=bool(say) and _flag(params, "hangup", settings.hangup_after),
        )
        detector = SpeechDetector(
            settings.vad_start_db, settings.vad_start_frames, settings.vad_stop_frames
        )

        async def emit(kind: str, data: dict[str, Any]) -> None:
            await self.context.publish_event(call_sid, kind, data)

        call = Call(
            call_sid, stream_sid, hub=self.context.hub, send=self.send, emit=emit,
            detector=detector, options=options,
        )  # fmt: skip
        self.first_text = say or settings.greeting
        return call

    async def dispatch(self, call: Call, message: messages.Inbound) -> None:
        if message.event == "stop":
            raise _Ended
        if message.event == "media":
            section = message.section()
            if section.get("track", "inbound") == "inbound":
                await call.on_media(message.payload())
        elif message.event == "dtmf":
            await call.on_dtmf(str(message.section().get("digit", "")))
        elif message.event == "mark":
            await call.on_mark(str(message.section().get("name", "")))

    async def serve_call(self, call: Call) -> None:
        while True:
            message = await self.next_message()
            if message is None:
                continue
            try:
                await self.dispatch(call, message)
            except messages.MessageError as error:
                _LOGGER.warning("call %s: ignored a frame: %s", call.call_sid, error)


async def handle_media(ws: WebSocket, context: TwilioContext) -> None:
    await ws.accept()
    session = MediaSession(ws, context)
    try:
        start = await session.wait_start()
        call = session.open_call(start.section())
    except (TokenError, messages.MessageError, KeyError) as error:
        _LOGGER.warning("closed a media socket: %s", error)
        reason = FORMAT_REASON if isinstance(error, FormatError) else None
        await ws.close(code=POLICY_VIOLATION, reason=reason)
        return
    except (_Ended, WebSocketDisconnect):
        return
    await _run_call(session, call, context)


async def _run_call(session: MediaSession, call: Call, context: TwilioContext) -> None:
    context.calls[call.call_sid] = call
    _LOGGER.info("call %s started", call.call_sid)
    await context.publish_event(call.call_sid, "started", {"stream_sid": call.stream_sid})
    player = asyncio.create_task(call.run(), name=f"twilio-call-{call.call_sid}")
    reader = asyncio.create_task(session.serve_call(call), name=f"twilio-read-{call.call_sid}")
    ended = asyncio.create_task(call.ended.wait())
    if session.first_text.strip():
        await call.say(session.first_text)
    try:
        await asyncio.wait({reader, ended, player}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reader, ended, player):
            task.cancel()
        await asyncio.gather(reader, ended, player, return_exceptions=True)
        context.calls.pop(call.call_sid, None)
        with contextlib.suppress(Exception):  # already closed by Twilio
            await session.ws.close()
        _LOGGER.info("call %s ended", call.call_sid)
        await context.publish_event(call.call_sid, "stopped", {"heard": call.playback.heard})
