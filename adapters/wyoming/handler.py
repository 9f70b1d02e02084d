"""One Wyoming connection: text events in, audio events out.

A ``WyomingHandler`` is made per connection by ``functools.partial(WyomingHandler,
context)``; everything it knows about the connection lives on the instance. The reader
loop handles one event at a time; the audio of each request is sent by a ``Response``
task beside it, so streamed text keeps arriving while earlier sentences already play.

Per-request state is explicit: ``_response`` is the latest answer (its task may still be
sending) and ``_text_open`` is true between ``synthesize-start`` and ``synthesize-stop``,
the only time the backwards-compatible ``synthesize`` that Home Assistant sends inside a
stream is ignored. Both are reset by the next request, so a connection can make any number
of one-shot and streamed requests in a row.

Failure is always said and always ends the connection: a malformed frame, an event out of
order or a failed synthesis gets an ``error`` event (text and code) and then the socket is
closed, because Home Assistant ignores ``error`` and would otherwise wait for audio that
never comes. A client that disconnects in the middle cancels its synthesis on the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeTextFormat,
    SynthesizeVoice,
)

from adapters.wyoming.events import error_event, parse_event
from adapters.wyoming.framing import ProtocolError, read_event
from adapters.wyoming.info import build_info
from adapters.wyoming.response import ClientGoneError, Response
from adapters.wyoming.settings import WyomingSettings
from adapters.wyoming.voices import choose_voice
from hub.audio import AudioSpec
from hub.client import HubClient
from hub.contract.errors import VoicebusError
from hub.contract.schemas import PriorityClass

_LOGGER = logging.getLogger(__name__)

SHUTTING_DOWN = "shutting_down"
_ERROR_WRITE_SECONDS = 2.0


@dataclass(frozen=True)
class WyomingContext:
    """What every connection shares; read-only."""

    hub: HubClient
    settings: WyomingSettings


class WyomingHandler(AsyncEventHandler):
    def __init__(self, context: WyomingContext, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hub = context.hub
        self._settings = context.settings
        peer = self.writer.get_extra_info("peername")
        self._peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "client"
        self._response: Response | None = None
        self._text_open = False
        self._running = False
        self._requests = 0

    # ---- connection ------------------------------------------------------------------

    async def run(self) -> None:
        """Handle events until the client leaves, a request fails or the server stops."""
        self._running = True
        _LOGGER.debug("%s connected", self._peer)
        try:
            await self._read_events()
        except ConnectionError as error:  # ClientGoneError included
            _LOGGER.debug("%s: connection lost: %s", self._peer, error)
        except Exception as error:  # the connection's edge: say why, then hang up
            self._log_failure(error)
            await self._fail(error)
            await self._linger()
        finally:
            await self.disconnect()
            self.writer.close()
            _LOGGER.debug("%s closed", self._peer)

    async def _linger(self, seconds: float = 1.0, limit: int = 1 << 20) -> None:
        """After an error: end our side, then read and drop what the client still sends, so
        closing does not reset the connection and destroy the error event on its way."""
        with contextlib.suppress(OSError, RuntimeError):
            self.writer.write_eof()
        dropped = 0
        with contextlib.suppress(OSError, TimeoutError, ValueError):
            async with asyncio.timeout(seconds):
                while dropped < limit and (data := await self.reader.read(65536)):
                    dropped += len(data)

    async def _read_events(self) -> None:
        while self._running:
            event = await read_event(self.reader)
            if event is None or not self._running:
                return
            if not await self.handle_event(event):
                return

    async def disconnect(self) -> None:
        """The client closed its side: cancel an unfinished text stream; let a response
        whose text is complete finish (a client may half-close and still read)."""
        response = self._response
        if response is None or response.done:
            return
        if self._text_open:
            _LOGGER.info("%s left in the middle of a text stream; cancelling", self._peer)
            await response.cancel()
        else:
            await response.wait()

    async def stop(self) -> None:
        """Server shutdown: cancel the work in progress, say why, and close."""
        self._running = False
        response = self._response
        if response is not None and not response.done:
            await response.cancel()
            await self._send_quietly(
                Error(text="voicebus is shutting down", code=SHUTTING_DOWN).event()
            )
        self._close()

    def _close(self) -> None:
        self._running = False
        self.writer.close()
        self.reader.feed_eof()

    async def _fail(self, error: Exception) -> None:
        """Stop the current response, send an ``error`` event and end the connection."""
        self._running = False
        if self._response is not None:
            await self._response.cancel()
        await self._send_quietly(error_event(error))

    async def _response_failed(self, error: Exception) -> None:
        """Called by a response task that could not finish."""
        self._running = False
        if isinstance(error, ClientGoneError):
            _LOGGER.info("%s: %s; synthesis cancelled", self._peer, error)
        else:
            self._log_failure(error)
            await self._send_quietly(error_event(error))
        self._close()

    def _log_failure(self, error: Exception) -> None:
        if isinstance(error, ProtocolError):
            _LOGGER.warning("%s broke the protocol: %s", self._peer, error)
        elif isinstance(error, VoicebusError):
            _LOGGER.warning("%s: request failed (%s): %s", self._peer, error.code.value, error)
        else:
            _LOGGER.error("%s: unexpected failure; closing", self._peer, exc_info=error)

    # ---- sending ---------------------------------------------------------------------

    async def _send(self, event: Event) -> None:
        timeout = self._settings.write_timeout
        try:
            async with asyncio.timeout(timeout):
                await self.write_event(event)
        except TimeoutError:
            raise ClientGoneError(f"client read nothing for {timeout:.0f} s") from None
        except ConnectionError as error:
            raise ClientGoneError("client disconnected") from error

    async def _send_quietly(self, event: Event) -> None:
        """Best effort (for errors): the client may already be gone."""
        try:
            async with asyncio.timeout(_ERROR_WRITE_SECONDS):
                await self.write_event(event)
        except (TimeoutError, ConnectionError, RuntimeError) as error:
            _LOGGER.debug("%s: could not send %s: %s", self._peer, event.type, error)

    # ---- events ----------------------------------------------------------------------

    async def handle_event(self, event: Event) -> bool:
        if Describe.is_type(event.type):
            await self._on_describe()
        elif Synthesize.is_type(event.type):
            await self._on_synthesize(parse_event(Synthesize, event))
        elif SynthesizeStart.is_type(event.type):
            await self._on_synthesize_start(parse_event(SynthesizeStart, event))
        elif SynthesizeChunk.is_type(event.type):
            self._on_synthesize_chunk(parse_event(SynthesizeChunk, event))
        elif SynthesizeStop.is_type(event.type):
            self._on_synthesize_stop()
        elif Ping.is_type(event.type):
            await self._send(Pong(text=parse_event(Ping, event).text).event())
        else:
            _LOGGER.debug("%s: ignoring %s", self._peer, event.type)
        return True

    async def _on_describe(self) -> None:
        if not self._hub.voices():  # e.g. just started: give engines a moment to answer
            await self._hub.refresh(timeout=0.5)
        await self._send(build_info(self._hub).event())

    async def _on_synthesize(self, request: Synthesize) -> None:
        if self._text_open:
            _LOGGER.debug("%s: ignoring the compatibility synthesize inside a stream", self._peer)
            return
        await self._respond(request.voice, request.text, request.text_format, streamed=False)

    async def _on_synthesize_start(self, start: SynthesizeStart) -> None:
        if self._text_open:
            raise ProtocolError("synthesize-start while a text stream is already open")
        await self._respond(start.voice, None, start.text_format, streamed=True)
        self._text_open = True

    def _on_synthesize_chunk(self, chunk: SynthesizeChunk) -> None:
        if not self._text_open or self._response is None:
            raise ProtocolError("synthesize-chunk outside synthesize-start ... synthesize-stop")
        self._response.feed(chunk.text)

    def _on_synthesize_stop(self) -> None:
        if not self._text_open or self._response is None:
            raise ProtocolError("synthesize-stop without synthesize-start")
        self._text_open = False
        self._response.end_input()

    # ---- requests --------------------------------------------------------------------

    async def _respond(
        self,
        voice: SynthesizeVoice | None,
        text: str | None,
        text_format: str | SynthesizeTextFormat | None,
        *,
        streamed: bool,
    ) -> None:
        """Start the response to a new request (after the previous one is fully sent).

        SSML needs nothing here: the hub reads the common subset and drops other tags."""
        if self._response is not None and not self._response.done:
            await self._response.wait()
        if not self._running:
            raise ClientGoneError("connection closed")
        choice = await choose_voice(self._hub, voice)
        stream = await self._hub.open(
            text,
            choice.route.voice.name,
            speaker=choice.speaker,
            language=choice.language,
            engine=choice.route.engine,
            # Raw PCM at the voice's rate, samples_per_chunk per audio-chunk event; the last
            # chunk is left short: Wyoming takes any size, and padding would add audio.
            output=AudioSpec("pcm", frame_samples=self._settings.samples_per_chunk, pad=False),
            priority_class=PriorityClass.REALTIME,  # a speaker in the room is waiting
        )
        if not self._running:  # stopped while the voice was being resolved
            await stream.aclose()
            raise ClientGoneError("connection closed")
        self._requests += 1
        self._response = Response(
            stream,
            self._send,
            self._response_failed,
            streamed=streamed,
            label=f"{self._peer} request {self._requests}",
        )
