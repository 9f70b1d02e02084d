"""The small parts on their own: stream tokens, the speech detector, mu-law, messages,
subjects and settings."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from adapters.twilio import messages, tokens
from adapters.twilio.settings import TwilioSettings
from adapters.twilio.subjects import CallSubjects
from adapters.twilio.vad import SpeechDetector, level_db
from hub.audio.decode import mulaw_to_pcm
from hub.client import HubClient
from tests.adapters.twilio.support import FRAME, SILENCE, caller_speech, line_noise

with warnings.catch_warnings():  # the reference G.711 codec (in the stdlib until 3.13)
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

KEY = "secret-key"


def test_a_token_is_accepted_once_and_bound_to_its_text() -> None:
    book = tokens.TokenBook(KEY)
    token = tokens.mint(KEY, 60, "hello")
    with pytest.raises(tokens.TokenError, match="does not verify"):
        book.redeem(token, "goodbye")
    book.redeem(token, "hello")
    with pytest.raises(tokens.TokenError, match="already used"):
        book.redeem(token, "hello")
    with pytest.raises(tokens.TokenError, match="does not verify"):
        tokens.TokenBook("other-key").redeem(tokens.mint(KEY, 60))


def test_an_expired_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.mint(KEY, 1)
    later = time.time() + 5
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.TokenBook(KEY).redeem(token)


def test_mulaw_decoding_matches_g711() -> None:
    every = bytes(range(256))
    assert mulaw_to_pcm(every) == audioop.ulaw2lin(every, 2)
    assert mulaw_to_pcm(b"") == b""
    assert level_db(SILENCE) == -100.0


@pytest.mark.parametrize("db", [-40.0, -30.0, -20.0, -10.0])
def test_the_decoded_level_is_the_level_that_was_encoded(db: float) -> None:
    frames = tone(db, 50)
    levels = [level_db(frame) for frame in frames]
    assert all(abs(level - db) < 0.5 for level in levels), levels
    assert level_db(noise(db, 1)[0]) == pytest.approx(db, abs=0.5)


def tone(db: float, frames: int) -> list[bytes]:
    t = np.arange(frames * 160) / 8000
    pcm = (10 ** (db / 20) * np.sqrt(2) * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    data = audioop.lin2ulaw(pcm.tobytes(), 2)
    return [data[i : i + 160] for i in range(0, len(data), 160)]


def noise(db: float, frames: int, seed: int = 3) -> list[bytes]:
    """Steady white noise at ``db`` dBFS RMS (a hum, a car, a fan), as mu-law frames."""
    rng = np.random.default_rng(seed)
    pcm = rng.normal(0, 10 ** (db / 20) * 32768, frames * FRAME).clip(-32768, 32767)
    data = audioop.lin2ulaw(pcm.astype("<i2").tobytes(), 2)
    return [data[i : i + FRAME] for i in range(0, len(data), FRAME)]


def mix(speech: list[bytes], under: list[bytes]) -> list[bytes]:
    """Speech frames on top of noise frames (summed as PCM, then mu-law again)."""
    mixed = []
    for talk, hum in zip(speech, under, strict=False):
        a = np.frombuffer(mulaw_to_pcm(talk), "<i2").astype(np.int32)
        b = np.frombuffer(mulaw_to_pcm(hum), "<i2").astype(np.int32)
        pcm = (a + b).clip(-32768, 32767).astype("<i2").tobytes()
        mixed.append(audioop.lin2ulaw(pcm, 2))
    return mixed


@pytest.mark.parametrize("db", [-33.0, -30.0, -25.0])
async def test_steady_loud_noise_is_no_speech_but_speech_over_it_is(
    hub: HubClient, db: float
) -> None:
    detector = SpeechDetector()
    hum = noise(db, 250 + 200)
    started = [detector.feed(frame) for frame in hum[:250]]  # 5 s of it
    assert not any(started), f"{db} dBFS noise triggered at frame {started.index(True)}"
    assert not detector.speaking
    speech = await caller_speech(hub, "Hold on, stop talking please.")
    started = [detector.feed(frame) for frame in mix(speech, hum[250:])]
    assert any(started[:25]), "speech over the noise was not heard in its first half second"


def test_a_steady_sound_that_started_speech_does_not_latch_it() -> None:
    detector = SpeechDetector(stop_frames=15)
    for frame in line_noise(50):
        detector.feed(frame)
    # A loud hum that comes on mid-call looks like speech at first...
    started = [detector.feed(frame) for frame in noise(-20, 150)]
    assert True in started[:5]
    # ...but becomes the floor within its first second and a half: speaking ends, and
    # speech over it starts again.
    assert not detector.speaking
    assert any(detector.feed(frame) for frame in tone(-5, 10))


def test_the_detector_needs_several_loud_frames_and_has_hysteresis() -> None:
    detector = SpeechDetector(start_db=-35, start_frames=3, stop_frames=5)
    assert not any(detector.feed(frame) for frame in line_noise(100))
    # One click is not speech.
    assert not detector.feed(tone(-10, 1)[0]) and not detector.feed(SILENCE)
    started = [detector.feed(frame) for frame in tone(-20, 10)]
    assert started == [False, False, True] + [False] * 7
    # Short pauses inside speech do not end it; five quiet frames do.
    for frame in [SILENCE] * 4 + tone(-20, 1) + [SILENCE] * 4:
        detector.feed(frame)
    assert detector.speaking
    detector.feed(SILENCE)
    assert not detector.speaking


def test_messages_parse_and_refuse() -> None:
    media = messages.parse('{"event": "media", "media": {"payload": "/w=="}}')
    assert media.payload() == b"\xff"
    for bad in ("nope", "[]", '{"event": "hello"}'):
        with pytest.raises(messages.MessageError):
            messages.parse(bad)
    with pytest.raises(messages.MessageError):
        messages.parse('{"event": "media", "media": {"payload": "***"}}').payload()
    with pytest.raises(messages.MessageError):
        messages.parse('{"event": "start"}').section()


def test_call_subjects() -> None:
    subjects = CallSubjects("vb")
    assert subjects.say("CA1") == "vb.calls.CA1.say"
    assert subjects.parse("vb.calls.CA1.hangup") == ("CA1", "hangup")
    assert subjects.parse("vb.calls.CA1.events") is None
    with pytest.raises(ValueError):
        subjects.events("CA1.>")


def test_secrets_stay_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEBUS_TWILIO_AUTH_TOKEN", "tok-123")
    monkeypatch.setenv("VOICEBUS_TWILIO_ACCOUNT_SID", "AC-456")
    monkeypatch.setenv("VOICEBUS_TWILIO_API_KEYS", "a,b")
    settings = TwilioSettings()
    assert settings.auth_token.get_secret_value() == "tok-123"
    assert "tok-123" not in repr(settings) and "AC-456" not in repr(settings)
    assert settings.accepts_key("b") and not settings.accepts_key("c")
