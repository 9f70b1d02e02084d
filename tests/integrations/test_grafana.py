"""The Grafana dashboard queries only metrics the hub really exports: every metric name in
its PromQL is checked against a running REST adapter's ``/metrics`` after real requests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.client import HubClient
from tests.adapters.openai.support import adapter_settings, running_adapter

DASHBOARD = Path(__file__).resolve().parents[2] / "integrations" / "grafana" / "voicebus.json"
METRIC = re.compile(r"\bvoicebus_[a-z0-9_]+")
CACHE_METRICS = {
    "voicebus_cache_hits_total",
    "voicebus_cache_misses_total",
    "voicebus_cache_bytes",
    "voicebus_cache_evictions_total",
}
"""The audio cache's metrics (agreed with the cache work): checked as soon as the adapter
exports any ``voicebus_cache_*`` metric; before that their panels show no data."""
SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
    "summary": ("", "_sum", "_count", "_created"),
}


def queries(node: Any) -> list[str]:
    """Every PromQL string of the dashboard: panel targets and templating queries."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            promql = key in ("expr", "definition") or (key == "query" and "(" in str(value))
            if promql and isinstance(value, str):
                found.append(value)
            else:
                found += queries(value)
    elif isinstance(node, list):
        for item in node:
            found += queries(item)
    return found


def exported(text: str) -> set[str]:
    """Sample names the exposition defines (a labelled counter with no samples yet still
    declares its family)."""
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in SAMPLE_SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def test_every_panel_has_a_query_on_the_chosen_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    for panel in panels:
        assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert all(target["expr"].strip() for target in panel["targets"]), panel["title"]


async def test_every_metric_the_dashboard_queries_is_exported(hub: HubClient) -> None:
    used = {
        name
        for query in queries(json.loads(DASHBOARD.read_text()))
        for name in METRIC.findall(query)
    }
    assert {
        "voicebus_openai_time_to_first_byte_seconds_bucket",
        "voicebus_openai_errors_total",
    } <= used

    async with running_adapter(adapter_settings(), hub) as running:
        client = running.async_client()
        speech = await client.audio.speech.create(
            model="tts-1", voice="alloy", input="Counting for the dashboard.", response_format="pcm"
        )
        assert len(speech.content) > 0
        with pytest.raises(openai.BadRequestError):
            await client.audio.speech.create(model="tts-1", voice="nobody-here", input="Hello.")
        async with httpx2.AsyncClient(base_url=running.url, timeout=30) as http:
            scraped = await http.get("/metrics")
    assert scraped.status_code == 200
    names = exported(scraped.text)

    pending = set() if any(n.startswith("voicebus_cache_") for n in names) else CACHE_METRICS
    missing = used - names - pending
    assert not missing, f"the dashboard queries metrics nobody exports: {sorted(missing)}"
