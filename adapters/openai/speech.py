"""``POST /v1/audio/speech``: OpenAI's speech endpoint over the hub.

Everything that can be refused is refused before the answer starts: the request is
validated, the voice routed and the hub stream opened, and the first audio awaited, so
an unknown voice is a 400, a missing engine a 503 and an overloaded one a 429. Then:

* ``stream_format: "sse"``: server-sent events as the audio is made;
* ``pcm`` or ``wav`` of one sentence of at most ``collect_max_chars`` characters: the whole
  file at once (WAV with exact sizes), with ``Content-Length``, ``X-Audio-Duration``,
  ``X-Generation-Time`` and ``X-Real-Time-Factor`` (an engine makes a sentence in one
  piece, and these formats cost nothing to encode, so waiting for the end costs no latency);
* anything else: the file's bytes streamed as each sentence is synthesised and encoded.

The hub stream is opened in the answer's format (``output_spec``), so this adapter does
no audio conversion of its own.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request, Response

from adapters.openai.auth import charge_characters, require_scope
from adapters.openai.catalog import VoiceTarget
from adapters.openai.context import AdapterContext, Context
from adapters.openai.delivery import SpeechJob, whole_response
from adapters.openai.encoding import output_spec
from adapters.openai.errors import ApiError, from_voicebus
from adapters.openai.metrics import Timer
from adapters.openai.schemas import SpeechRequest
from adapters.openai.streaming import streamed_response
from hub.audio import CONTENT_TYPES, AudioSpec
from hub.cache import cache_state
from hub.client.speakable import speakable
from hub.client.stream import SynthesisStream
from hub.contract.errors import InvalidRequestError, VoiceNotFoundError
from hub.contract.schemas import PriorityClass

_LOGGER = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["speech"], dependencies=[Depends(require_scope("speak"))])

CACHE_HEADER = "X-Voicebus-Cache"
"""hit (every sentence from the audio cache), miss (none) or partial."""

WHOLE_FORMATS = frozenset({"pcm", "wav"})
"""Formats answered whole for short single-sentence input (compressed ones always stream)."""

_AUDIO_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The audio file (streamed), or server-sent events with stream_format=sse.",
        "content": {
            **{media: {} for media in CONTENT_TYPES.values()},
            "text/event-stream": {},
        },
    },
    400: {"description": "Bad input: OpenAI error object (code and param set)."},
    401: {"description": "Missing, unknown or revoked API key."},
    403: {"description": "The API key lacks the speak scope."},
    429: {"description": "The engine is overloaded, or the key is over a limit; see Retry-After."},
    503: {"description": "No engine is running for the voice; see Retry-After."},
    504: {"description": "The engine did not finish in time."},
}


def check_input(text: str, limit: int) -> None:
    if len(text) > limit:
        raise ApiError(
            400,
            f"Input has {len(text)} characters; the limit is {limit}.",
            code="string_above_max_length",
            param="input",
        )
    if not any(char.isalnum() for char in speakable(text)):  # "<break/>", "\x1b[31m": none
        raise ApiError(400, "Input has no words to speak.", code="empty_input", param="input")


async def open_stream(
    ctx: AdapterContext,
    text: str,
    target: VoiceTarget | None,
    *,
    engine: str | None = None,
    language: str | None = None,
    speed: float = 1.0,
    instructions: str | None = None,
    param: str = "input",
    output: AudioSpec | None = None,
    priority: PriorityClass = PriorityClass.INTERACTIVE,
    cache: bool = True,
) -> SynthesisStream:
    """Route the voice and start synthesis; hub errors become answers naming the field.

    Without a target the hub picks the best voice for ``language`` (or the default voice).
    """
    try:
        return await ctx.hub.open(
            text,
            target.voice if target else None,
            speaker=target.speaker if target else None,
            language=language,
            speed=speed,
            instructions=instructions,
            engine=engine,
            output=output,
            priority_class=priority,
            cache=cache,
        )
    except VoiceNotFoundError:
        if target is None and language:
            raise ctx.catalog.language_error(language, engine) from None
        raise await ctx.catalog.voice_error(target, engine) from None
    except InvalidRequestError as error:
        answer = from_voicebus(error, ctx.settings.retry_after)
        answer.param = "voice" if target and target.speaker else param
        raise answer from None


async def first_chunk(stream: SynthesisStream) -> bytes | None:
    """The first audio of the stream (None if it has none); errors close the stream."""
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return None
    except BaseException:
        await stream.aclose()
        raise


@router.post(
    "/audio/speech",
    summary="Create speech (OpenAI-compatible)",
    response_class=Response,
    responses=_AUDIO_RESPONSES,
)
async def create_speech(body: SpeechRequest, ctx: Context, request: Request) -> Response:
    timer = Timer()
    check_input(body.input, ctx.settings.max_input_chars)
    engine = ctx.catalog.engine_for(body.model)
    target = ctx.catalog.target(body.voice_name, body.speaker)
    await charge_characters(request, len(body.input))
    stream = await open_stream(
        ctx,
        body.input,
        target,
        engine=engine,
        language=body.language,
        speed=body.speed,
        instructions=body.instructions,
        output=output_spec(body.response_format, ctx.settings.output_rate),
        priority=PriorityClass(body.priority),
        cache=body.cache,
    )
    first = await first_chunk(stream)
    cached = await cache_state(stream)
    ctx.metrics.cache_answers.labels(state=cached).inc()
    job = SpeechJob(ctx, stream, body.response_format, body.input, timer, first)
    sse = body.stream_format == "sse"
    whole = not sse and body.response_format in WHOLE_FORMATS and len(stream.sentences) == 1
    whole = whole and len(body.input) <= ctx.settings.collect_max_chars
    _LOGGER.debug(
        "speech: model %s voice %s -> %s/%s, %d sentence(s) (cache %s), %s as %s, first %.3f s",
        body.model,
        target.requested,
        stream.engine,
        stream.voice,
        len(stream.sentences),
        cached,
        body.response_format,
        "whole" if whole else body.stream_format,
        timer.elapsed(),
    )
    response = await whole_response(job) if whole else await streamed_response(job, sse=sse)
    response.headers[CACHE_HEADER] = cached
    return response
