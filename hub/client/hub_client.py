"""The hub client: what every adapter calls to turn text into streaming audio.

    async for pcm in hub.synthesize("Hello there. How are you?", voice="en_US-joe-medium"):
        ...

    stream = await hub.open(text, voice, output=AudioSpec("mulaw", frame_ms=20))
    stream.output.rate, stream.output.content_type   # known before the first chunk
    async for frame in stream: ...                   # 160-byte frames

Behind that: the voice is routed to an engine from live discovery, the text is split into
sentences, several sentences are in flight at once (spread over the engine's workers by the
queue group) or served from the audio cache, and yielded strictly in order as soon as each
is ready. A silent worker ends in a typed error or a retry; closing a stream cancels its work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from nats.aio.client import Client
from pydantic import Field

from hub.audio import AudioSpec
from hub.bus import connect
from hub.cache import caching_source, for_stream, settle
from hub.client.admission import check_speed, check_text, voice_that_reads
from hub.client.bus_facade import BusFacade
from hub.client.call_policy import CallOptions
from hub.client.discovery import Discovery, VoiceRoute
from hub.client.routing import Router
from hub.client.sentence_call import BusSentenceSource
from hub.client.source import SentenceSource
from hub.client.stream import SynthesisStream
from hub.client.text import DEFAULT_MAX_SENTENCE_CHARS
from hub.contract.errors import InvalidRequestError, VoiceNotFoundError
from hub.contract.schemas import PriorityClass
from hub.contract.subjects import Subjects
from hub.settings import NatsOptions, VoicebusSettings
from hub.store.library import LibraryOptions, VoiceLibrary

_LOGGER = logging.getLogger(__name__)

DEFAULT_VOICE = "en_US-joe-medium"


class ClientSettings(VoicebusSettings, NatsOptions, LibraryOptions):
    """Settings of the hub client in every adapter and CLI command (and the audio cache's)."""

    default_voice: str = DEFAULT_VOICE
    max_in_flight: int = Field(default=3, ge=1, description="Sentences of one text in flight.")
    start_timeout: float = Field(default=5.0, gt=0, description="Wait for a worker to accept.")
    idle_timeout: float = Field(default=5.0, gt=0, description="Silence that means a dead worker.")
    sentence_timeout: float = Field(default=120.0, gt=0, description="Deadline of one sentence.")
    retries: int = Field(default=1, ge=0, description="Retries of a sentence that lost its worker.")
    max_text_chars: int = Field(default=200_000, ge=1)
    max_sentence_chars: int = Field(default=DEFAULT_MAX_SENTENCE_CHARS, ge=20)
    discovery_wait: float = Field(default=3.0, ge=0, description="Wait for engines to appear.")
    audio_threads: int = Field(
        default=2, ge=1, description="Threads that encode compressed output for all streams."
    )
    fallbacks: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Fallback chains by voice or engine name: steps 'engine' or 'engine:voice'.",
    )


class HubClient(BusFacade):
    """Routing and synthesis here; what adapters may use of the bus in :class:`BusFacade`."""

    def __init__(
        self,
        nc: Client,
        settings: ClientSettings,
        *,
        owns_connection: bool = False,
        sentence_source: SentenceSource | None = None,
    ):
        self.nc = nc
        self.settings = settings
        self.subjects = Subjects(settings.subject_prefix)
        self.discovery = Discovery(nc, self.subjects)
        self.router = Router(self.discovery, settings.default_voice, settings.fallbacks)
        bus = BusSentenceSource(nc, self.subjects, self._call_options())
        self.sentence_source: SentenceSource = sentence_source or caching_source(
            bus, nc, settings.cache, self.discovery.engines, self.library
        )  # the bus behind the audio cache (settings.cache)
        self._audio_pool = ThreadPoolExecutor(
            max_workers=settings.audio_threads, thread_name_prefix="voicebus-audio"
        )
        self._owns_connection = owns_connection
        self._library: VoiceLibrary | None = None
        self._library_lock = asyncio.Lock()

    @classmethod
    async def connect(cls, settings: ClientSettings, name: str = "voicebus-client") -> HubClient:
        nc = await connect(settings, name)
        client = cls(nc, settings, owns_connection=True)
        await client.start()
        return client

    async def start(self) -> None:
        await self.discovery.start()

    async def close(self) -> None:
        await settle(self.sentence_source)  # clips being stored are kept
        await self.discovery.stop()
        self._audio_pool.shutdown(wait=False, cancel_futures=True)
        if self._owns_connection and not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception as error:  # reconnecting or already gone: just close
                _LOGGER.debug("drain failed (%s); closing", error)
                with contextlib.suppress(Exception):  # a reset while it reconnects
                    await self.nc.close()

    async def __aenter__(self) -> HubClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ---- the bus, as adapters see it: hub.client.bus_facade.BusFacade ---------------

    # ---- routing ---------------------------------------------------------------------

    def voices(self) -> list[VoiceRoute]:
        """Every voice of every live engine that takes requests, one route per engine."""
        return self.discovery.routes()

    def routes(
        self, voice: str | None = None, *, language: str | None = None, engine: str | None = None
    ) -> list[VoiceRoute]:
        """The route for a voice name (or the best voice for a language, or the default
        voice), then its live fallbacks."""
        return self.router.routes(voice, language=language, engine=engine)

    def resolve(
        self, voice: str | None = None, *, language: str | None = None, engine: str | None = None
    ) -> VoiceRoute:
        return self.routes(voice, language=language, engine=engine)[0]

    async def wait_for_voice(
        self, voice: str | None = None, *, language: str | None = None, engine: str | None = None
    ) -> VoiceRoute:
        """Like ``resolve``, but give engines that are starting a moment to announce."""

        def found(_: Discovery) -> bool:
            try:
                self.resolve(voice, language=language, engine=engine)
            except VoiceNotFoundError:
                return False
            return True

        if not found(self.discovery):
            # Engines that are starting get discovery_wait; when engines are already known,
            # only a moment for the others to answer the discovery ping.
            wait = self.settings.discovery_wait if not self.discovery.workers() else 0.5
            await self.discovery.wait_for(found, wait)
        return self.resolve(voice, language=language, engine=engine)

    # ---- synthesis -------------------------------------------------------------------

    async def open(
        self,
        text: str | None = None,
        voice: str | None = None,
        *,
        speaker: str | None = None,
        language: str | None = None,
        speed: float = 1.0,
        instructions: str | None = None,
        engine: str | None = None,
        output: AudioSpec | None = None,
        priority_class: PriorityClass = PriorityClass.INTERACTIVE,
        cache: bool = True,
    ) -> SynthesisStream:
        """Validate, route and start a stream; all input errors are raised here, before audio.

        With ``text=None`` the stream takes text incrementally: ``stream.feed(fragment)``
        as it arrives and ``stream.end_input()`` at the end. ``output`` is the format the
        stream yields (``stream.output`` says what it resolved to); without it, mono s16le
        at the voice's rate. ``cache=False`` bypasses the audio cache.
        """
        speed = check_speed(speed)
        if text is not None:
            text = check_text(text, self.settings.max_text_chars)
        await self.wait_for_voice(voice, language=language, engine=engine)
        routes = self.routes(voice, language=language, engine=engine)
        automatic = voice is None and language is None and engine is None
        if text is not None and (
            able := voice_that_reads(text, routes[0], self.voices(), automatic=automatic)
        ):
            routes = self.routes(able.voice.name, engine=able.engine)
        route = routes[0]
        speakers = route.voice.speakers
        if speaker and speaker not in speakers and not (speakers and speaker.isdigit()):
            raise InvalidRequestError(
                f"voice {route.voice.name} has no speaker {speaker!r}",
                f"speakers: {', '.join(speakers)}" if speakers else "it has a single speaker",
            )
        stream = SynthesisStream(
            for_stream(self.sentence_source, cache=cache),
            routes,
            self._call_options(),
            template={
                "voice": route.voice.name,
                "speaker": speaker,
                "language": language,
                "speed": speed,
                "instructions": instructions,
                "priority_class": priority_class,
            },
            max_in_flight=self.settings.max_in_flight,
            max_text_chars=self.settings.max_text_chars,
            max_sentence_chars=self.settings.max_sentence_chars,
            requested_engine=engine,
            output=output,
            executor=self._audio_pool,
            live_voices=self.voices,
        )
        if text is not None:
            stream.feed(text)
            stream.end_input()
        return stream

    async def synthesize(
        self, text: str, voice: str | None = None, **options: object
    ) -> AsyncIterator[bytes]:
        """Yield mono s16le PCM for ``text`` (rate: ``(await hub.open(...)).sample_rate``),
        or audio in ``output=AudioSpec(...)``."""
        stream = await self.open(text, voice, **options)  # type: ignore[arg-type]
        async with stream:
            async for pcm in stream:
                yield pcm

    def _call_options(self) -> CallOptions:
        return CallOptions(
            start_timeout=self.settings.start_timeout,
            idle_timeout=self.settings.idle_timeout,
            sentence_timeout=self.settings.sentence_timeout,
            retries=self.settings.retries,
        )
