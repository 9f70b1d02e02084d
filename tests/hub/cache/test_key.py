"""The cache key changes when anything that changes the audio does, and only then."""

from __future__ import annotations

import pytest

from hub.cache import CacheKey, EngineIdentity, cache_key, normalise_text
from hub.contract.schemas import PriorityClass, SynthesisRequest

PIPER = EngineIdentity("piper", "en_US-joe-medium.onnx", "1.3.0")


def _request(**fields: object) -> SynthesisRequest:
    base: dict[str, object] = {"text": "Hello there.", "voice": "en_US-joe-medium", "deadline": 1.0}
    return SynthesisRequest(**{**base, **fields})  # type: ignore[arg-type]


def _key(engine: EngineIdentity = PIPER, digest: str | None = None, **fields: object) -> CacheKey:
    return cache_key(_request(**fields), engine, digest)


@pytest.mark.parametrize(
    "change",
    [
        {"text": "Hello there!"},
        {"voice": "en_US-amy-medium"},
        {"speaker": "3"},
        {"language": "en_GB"},
        {"speed": 1.25},
        {"instructions": "whisper it"},
        {"sample_rate": 16000},
    ],
    ids=lambda change: next(iter(change)),
)
def test_every_request_parameter_changes_the_key(change: dict[str, object]) -> None:
    assert _key(**change) != _key()


@pytest.mark.parametrize(
    "engine",
    [
        EngineIdentity("xtts", PIPER.model, PIPER.engine_version),
        EngineIdentity("piper", "en_US-joe-high.onnx", PIPER.engine_version),
        EngineIdentity("piper", PIPER.model, "1.4.0"),
        EngineIdentity("piper", PIPER.model, PIPER.engine_version, revision="0123abc"),
    ],
    ids=["engine", "model", "version", "revision"],
)
def test_engine_model_and_version_change_the_key(engine: EngineIdentity) -> None:
    assert _key(engine) != _key()


def test_a_cloned_voices_clip_changes_the_key() -> None:
    assert _key(digest="a" * 64) != _key(digest="b" * 64) != _key()


def test_what_only_says_when_or_how_urgent_keeps_the_key() -> None:
    same = _key(
        request_id="other",
        deadline=99.0,
        priority=7,
        priority_class=PriorityClass.BATCH,
        retry_on_busy=True,
        text="  Hello\n  there. ",
    )
    assert same == _key()


def test_keys_are_bucket_safe_and_grouped_by_voice() -> None:
    key = _key()
    token, digest = key.name.split(".")
    assert len(token) == 16 and len(digest) == 64 and key.name.isascii()
    assert _key(text="Another sentence.").name.split(".")[0] == token
    assert _key(voice="en_US-amy-medium").name.split(".")[0] != token


def test_text_is_normalised_for_the_key() -> None:
    assert normalise_text("Cafe\u0301  ok\t") == "Caf\u00e9 ok"
