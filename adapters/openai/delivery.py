"""One speech answer: the job (stream, format, timing, headers) and the whole-file answer.

Streamed answers (bytes or server-sent events) are in :mod:`adapters.openai.streaming`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import Response

from adapters.openai.context import AdapterContext
from adapters.openai.metrics import Timer
from hub.audio import seal_wav
from hub.client.stream import SynthesisStream


@dataclass
class SpeechJob:
    """One speech answer in the making: the open stream (already in the answer's format)
    and its first chunk of audio."""

    ctx: AdapterContext
    stream: SynthesisStream
    fmt: str
    text: str
    timer: Timer
    first: bytes | None

    @property
    def labels(self) -> dict[str, str]:
        return {"engine": self.stream.engine, "format": self.fmt}

    def headers(self) -> dict[str, str]:
        return {
            "X-Voicebus-Engine": self.stream.engine,
            "X-Voicebus-Voice": self.stream.voice,
            "X-Voicebus-Sample-Rate": str(self.stream.output.rate),
            "X-Voicebus-Sentences": str(len(self.stream.sentences)),
            "Cache-Control": "no-store",
        }

    def record_finish(self, elapsed: float, audio_seconds: float) -> None:
        metrics = self.ctx.metrics
        metrics.audio_seconds.labels(**self.labels).inc(audio_seconds)
        if self.stream.fell_back:
            requested, served = self.stream.requested_engine, self.stream.engine
            metrics.fallbacks.labels(requested=requested, served=served).inc()
        if audio_seconds > 0:
            metrics.rtf.labels(**self.labels).observe(elapsed / audio_seconds)


async def whole_response(job: SpeechJob) -> Response:
    """Collect everything, answer with Content-Length and timing headers (pcm or wav:
    a WAV with exact sizes)."""
    ctx = job.ctx
    ctx.metrics.in_flight.inc()
    try:
        async with job.stream:
            pieces = [job.first] if job.first else []
            pieces += [data async for data in job.stream]
        data = b"".join(pieces)
        if job.stream.output.encoding == "wav":  # cheap, but a whole file: off the loop
            data = await asyncio.get_running_loop().run_in_executor(ctx.executor, seal_wav, data)
    finally:
        ctx.metrics.in_flight.dec()
    duration = job.stream.output_seconds
    elapsed = job.timer.elapsed()
    ctx.metrics.speech.labels(**job.labels, delivery="whole").inc()
    ctx.metrics.ttfb.labels(**job.labels).observe(elapsed)
    job.record_finish(elapsed, duration)
    headers = job.headers() | {
        "X-Audio-Duration": f"{duration:.3f}",
        "X-Generation-Time": f"{elapsed:.3f}",
        "X-Real-Time-Factor": f"{elapsed / duration:.3f}" if duration else "0",
    }
    return Response(content=data, media_type=job.stream.output.content_type, headers=headers)
