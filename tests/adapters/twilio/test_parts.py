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
from adapters.twilio.vad import SpeechDetector, level_db, mulaw_to_pcm
from tests.adapters.twilio.support import SILENCE, line_noise

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
    assert level_db(SILENCE) == -100.0


def tone(db: float, frames: int) -> list[bytes]:
    t = np.arange(frames * 160) / 8000
    pcm = (10 ** (db / 20) * np.sqrt(2) * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    data = audioop.lin2ulaw(pcm.tobytes(), 2)
    return [data[i : i + 160] for i in range(0, len(data), 160)]


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
