"""One speech answer: the job (stream, format, timing, headers) and the whole-file answer.

Streamed answers (bytes or server-sent events) are in :mod:`adapters.openai.streaming`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import Response

from adapters.openai.context import AdapterContext
from adapters.openai.encoding import encode_whole, output_rate
from adapters.openai.metrics import Timer
from hub.audio import content_type_for
from hub.client.stream import SynthesisStream


@dataclass
class SpeechJob:
    """One speech answer in the making: the open stream and its first PCM chunk."""

    ctx: AdapterContext
    stream: SynthesisStream
    fmt: str
    text: str
    timer: Timer
    first: bytes | None

    @property
    def labels(self) -> dict[str, str]:
        return {"engine": self.stream.engine, "format": self.fmt}

    def headers(self, rate: int) -> dict[str, str]:
        return {
            "X-Voicebus-Engine": self.stream.engine,
            "X-Voicebus-Voice": self.stream.voice,
            "X-Voicebus-Sample-Rate": str(rate),
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
    """Collect everything, encode once, answer with Content-Length and timing headers."""
    ctx = job.ctx
    ctx.metrics.in_flight.inc()
    try:
        async with job.stream:
            pieces = [job.first] if job.first else []
            pieces += [pcm async for pcm in job.stream]
        pcm = b"".join(pieces)
        rate = output_rate(job.fmt, ctx.settings.output_rate)
        loop = asyncio.get_running_loop()
        data, out_rate = await loop.run_in_executor(
            ctx.executor, encode_whole, pcm, job.fmt, job.stream.sample_rate, rate
        )
    finally:
        ctx.metrics.in_flight.dec()
    duration = len(pcm) / (2 * job.stream.sample_rate)
    elapsed = job.timer.elapsed()
    ctx.metrics.speech.labels(**job.labels, delivery="whole").inc()
    ctx.metrics.ttfb.labels(**job.labels).observe(elapsed)
    job.record_finish(elapsed, duration)
    headers = job.headers(out_rate) | {
        "X-Audio-Duration": f"{duration:.3f}",
        "X-Generation-Time": f"{elapsed:.3f}",
        "X-Real-Time-Factor": f"{elapsed / duration:.3f}" if duration else "0",
    }
    return Response(content=data, media_type=content_type_for(job.fmt), headers=headers)
