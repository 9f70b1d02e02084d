"""Which engines' audio is cached: sampling engines only by choice, and never an engine
whose workers disagree on what they run."""

from __future__ import annotations

import pytest

from engines.cloning import CloningSettings
from hub.cache import EngineIdentity
from hub.cache.source import engine_identity
from hub.contract.schemas import EngineAnnouncement, EngineCapabilities


def _worker(
    engine: str = "xtts", version: str = "0.22.0", model: str = "xtts_v2", cacheable: bool = True
) -> EngineAnnouncement:
    return EngineAnnouncement(
        engine=engine,
        instance=f"{engine}-{version}",
        engine_version=version,
        model=model,
        voices=[],
        capabilities=EngineCapabilities(cacheable=cacheable),
        heartbeat_seconds=2.0,
    )


@pytest.mark.parametrize(
    ("seed", "choice", "cacheable"),
    [(None, None, False), (7, None, True), (None, True, True), (7, False, False)],
)
def test_sampling_engines_are_cached_by_choice_or_with_a_seed(
    seed: int | None, choice: bool | None, cacheable: bool
) -> None:
    settings = CloningSettings(synthesis_seed=seed, allow_audio_cache=choice)
    assert settings.audio_cacheable is cacheable


def test_announcements_decide_what_is_cached() -> None:
    assert engine_identity([_worker(), _worker()]) == EngineIdentity("xtts", "xtts_v2", "0.22.0")
    assert engine_identity([]) is None
    assert engine_identity([_worker(cacheable=False)]) is None
    assert engine_identity([_worker(), _worker(cacheable=False)]) is None
    assert engine_identity([_worker(), _worker(version="0.23.0")]) is None  # a rolling update
    assert engine_identity([_worker(), _worker(model="xtts_v1")]) is None


def test_older_announcements_are_cacheable() -> None:
    legacy = EngineCapabilities.model_validate({"streaming": True, "cloning": False})
    assert legacy.cacheable is True
