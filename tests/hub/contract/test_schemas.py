"""Every bus message round-trips, found by reflection so a new message cannot be forgotten."""

from __future__ import annotations

import time
import typing

import pytest
from pydantic import TypeAdapter, ValidationError

from hub.contract import errors, schemas
from hub.contract.subjects import Subjects

VOICE = schemas.VoiceInfo(name="v", languages=["en_US", "en"], speakers=["a"], sample_rate=22050)

EXAMPLES: dict[type, dict[str, object]] = {
    schemas.SynthesisRequest: {
        "text": "Héllo wörld.",
        "voice": "v",
        "speaker": "a",
        "language": "en_US",
        "speed": 1.5,
        "instructions": "calm",
        "sample_rate": 24000,
        "deadline": time.time() + 10,
        "priority": 3,
        "priority_class": schemas.PriorityClass.BATCH,
        "retry_on_busy": True,
    },
    schemas.StreamStart: {
        "request_id": "r1",
        "engine": "piper",
        "instance": "piper-1",
        "voice": "v",
        "sample_rate": 22050,
    },
    schemas.StreamEnd: {
        "request_id": "r1",
        "chunks": 3,
        "audio_seconds": 1.0,
        "synthesis_seconds": 0.1,
        "real_time_factor": 0.1,
    },
    schemas.StreamError: {
        "request_id": "r1",
        "code": schemas.ErrorCode.VOICE_NOT_FOUND,
        "message": "no",
        "suggestion": "try another",
    },
    schemas.Keepalive: {"request_id": "r1", "queued": True},
    schemas.HandBack: {"request_id": "r1", "reason": "idle_peer"},
    schemas.IdleNotice: {"instance": "piper-1"},
    schemas.CancelRequest: {"request_id": "r1", "reason": "barge-in"},
    schemas.ControlCommand: {"action": schemas.ControlAction.KEEP_WARM, "keep_warm": True},
    schemas.EngineAnnouncement: {
        "engine": "piper",
        "instance": "piper-1",
        "engine_version": "1.0",
        "voices": [VOICE],
        "heartbeat_seconds": 2.0,
        "in_flight": 1,
        "served": 5,
    },
    schemas.AdapterStatus: {
        "adapter": "openai",
        "state": schemas.AdapterState.FAILED,
        "since": 1.5,
        "restarts": 2,
        "error": "port 8000 is taken",
        "retry_in": 4.0,
    },
    schemas.AdapterStatusList: {
        "adapters": [
            schemas.AdapterStatus(adapter="wyoming", state=schemas.AdapterState.RUNNING, since=1)
        ]
    },
}


def bus_message_types() -> list[type]:
    union = typing.get_args(schemas.BusMessage)[0]
    return list(typing.get_args(union))


def test_every_message_has_an_example() -> None:
    assert set(bus_message_types()) == set(EXAMPLES)


@pytest.mark.parametrize("cls", bus_message_types(), ids=lambda cls: cls.__name__)
def test_round_trip(cls: type) -> None:
    message = cls(**EXAMPLES[cls])
    wire = message.model_dump_json().encode()
    parsed = TypeAdapter(schemas.BusMessage).validate_json(wire)
    assert type(parsed) is cls
    assert parsed == message


def test_request_rejects_bad_values() -> None:
    with pytest.raises(ValidationError):
        schemas.SynthesisRequest(text="x", voice="v", deadline=0, speed=0)
    with pytest.raises(ValidationError):
        schemas.SynthesisRequest.model_validate_json(b'{"text": "x"}')


def test_request_deadline() -> None:
    request = schemas.SynthesisRequest(text="x", voice="v", deadline=time.time() - 1)
    assert request.expired()
    assert request.version == schemas.PROTOCOL_VERSION


def test_subjects() -> None:
    subjects = Subjects("home.tts")
    assert subjects.synth("piper") == "home.tts.synth.piper"
    assert subjects.cancel("abc") == "home.tts.cancel.abc"
    assert subjects.cancel_all == "home.tts.cancel.*"
    assert subjects.ready("piper") == "home.tts.ready.piper"
    assert subjects.idle("piper") == "home.tts.idle.piper"
    with pytest.raises(ValueError, match="engine name"):
        subjects.synth("pi.per")
    with pytest.raises(ValueError):
        subjects.cancel("a b")


def test_every_error_code_maps_to_a_typed_exception() -> None:
    for code in schemas.ErrorCode:
        error = errors.error_from_stream(
            schemas.StreamError(request_id="r", code=code, message="m", suggestion="s")
        )
        assert isinstance(error, errors.VoicebusError)
        assert error.code is code
        assert str(error) == "m (s)"
