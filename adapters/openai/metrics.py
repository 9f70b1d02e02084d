"""Prometheus metrics of one adapter app (its own registry, never the global one).

``GET /metrics`` serves them in the Prometheus text format. Speech answers are counted per
engine, format and delivery (``audio`` streamed, ``whole`` collected, ``sse``); errors per
code and stage (``request``: answered with an error status, ``stream``: after the audio had
started, ``disconnect``: the client went away). The audio cache's ``voicebus_cache_*``
series are read from the hub client's cache at each scrape (:class:`CacheCollector`), and
the engines' load (``voicebus_engine_*``: requests queued and in flight, live workers) from
what the workers last announced on the bus (:class:`EngineLoadCollector`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.cache import CacheStats, cache_of
from hub.contract.schemas import EngineAnnouncement

_LOGGER = logging.getLogger(__name__)

_TTFB_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
_RTF_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CacheCollector(Collector):
    """The audio cache's hits, misses, bytes and evictions, as of the last ``refresh``."""

    def __init__(self) -> None:
        self.stats: CacheStats | None = None

    async def refresh(self, sentence_source: object) -> None:
        cache = cache_of(sentence_source)
        self.stats = await cache.stats() if cache is not None else None

    def collect(self) -> Iterator[Metric]:
        stats = self.stats
        if stats is None:
            return
        yield CounterMetricFamily(
            "voicebus_cache_hits", "Sentences served from the audio cache.", stats.hits
        )
        yield CounterMetricFamily(
            "voicebus_cache_misses", "Sentences looked up and synthesized.", stats.misses
        )
        yield CounterMetricFamily(
            "voicebus_cache_evictions", "Clips dropped for the budget or TTL.", stats.evictions
        )
        yield GaugeMetricFamily("voicebus_cache_bytes", "Bytes the cache holds.", stats.bytes)
        yield GaugeMetricFamily("voicebus_cache_entries", "Clips in the cache.", stats.entries)


class EngineLoadCollector(Collector):
    """Queue depth and work in flight per engine, as its workers announce them."""

    def __init__(self) -> None:
        self.workers: Callable[[], list[EngineAnnouncement]] = list

    def collect(self) -> Iterator[Metric]:
        queued = GaugeMetricFamily(
            "voicebus_engine_queued", "Requests waiting for an inference slot.", labels=["engine"]
        )
        in_flight = GaugeMetricFamily(
            "voicebus_engine_in_flight", "Requests being synthesized.", labels=["engine"]
        )
        workers = GaugeMetricFamily(
            "voicebus_engine_workers", "Live workers of the engine.", labels=["engine"]
        )
        totals: dict[str, list[int]] = {}
        for worker in self.workers():
            total = totals.setdefault(worker.engine, [0, 0, 0])
            total[0] += worker.queued
            total[1] += worker.in_flight
            total[2] += 1
        for engine, (waiting, running, count) in sorted(totals.items()):
            queued.add_metric([engine], waiting)
            in_flight.add_metric([engine], running)
            workers.add_metric([engine], count)
        yield from (queued, in_flight, workers)


class AdapterMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.cache = CacheCollector()
        registry.register(self.cache)
        self.engines = EngineLoadCollector()
        registry.register(self.engines)
        self.cache_answers = Counter(
            "voicebus_openai_cache_answers",
            "Speech answers by what the audio cache had: hit, miss or partial.",
            ["state"],
            registry=registry,
        )
        self.http_requests = Counter(
            "voicebus_openai_http_requests",
            "HTTP requests answered, by route, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.speech = Counter(
            "voicebus_openai_speech",
            "Speech answers started, by engine, format and delivery.",
            ["engine", "format", "delivery"],
            registry=registry,
        )
        self.errors = Counter(
            "voicebus_openai_errors",
            "Errors by code and stage (request, stream, disconnect).",
            ["code", "stage"],
            registry=registry,
        )
        self.ttfb = Histogram(
            "voicebus_openai_time_to_first_byte_seconds",
            "From the request to the first audio byte handed to the server.",
            ["engine", "format"],
            buckets=_TTFB_BUCKETS,
            registry=registry,
        )
        self.rtf = Histogram(
            "voicebus_openai_real_time_factor",
            "Wall time of a finished answer divided by its audio duration.",
            ["engine", "format"],
            buckets=_RTF_BUCKETS,
            registry=registry,
        )
        self.audio_seconds = Counter(
            "voicebus_openai_audio_seconds",
            "Seconds of audio delivered.",
            ["engine", "format"],
            registry=registry,
        )
        self.fallbacks = Counter(
            "voicebus_openai_fallbacks",
            "Answers (partly) made by a fallback engine because the first choice could not.",
            ["requested", "served"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "voicebus_openai_speech_in_flight",
            "Speech answers being produced right now.",
            registry=registry,
        )

    def error(self, code: str, stage: str) -> None:
        self.errors.labels(code=code, stage=stage).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class HttpMetricsMiddleware:
    """Pure ASGI middleware counting answers by route template (bounded label values)."""

    def __init__(self, app: ASGIApp, metrics: AdapterMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.http_requests.labels(
                route=template, method=scope.get("method", ""), status=str(status)
            ).inc()


class Timer:
    """Seconds since construction (monotonic)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
async def metrics(request: Request) -> Response:
    context = request.app.state.voicebus
    context.metrics.engines.workers = context.hub.workers
    try:
        await context.metrics.cache.refresh(context.hub.sentence_source)
    except Exception as error:  # the cache's series are skipped, the rest still served
        _LOGGER.warning("metrics: audio cache state unavailable (%s)", error)
        context.metrics.cache.stats = None
    data = context.metrics.render()
    return Response(content=data, media_type=CONTENT_TYPE_LATEST)
