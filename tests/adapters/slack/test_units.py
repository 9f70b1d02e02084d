"""The small parts: /say's options, the rate limiter and the memory of answered events."""

from __future__ import annotations

import pytest

from adapters.slack.commands import parse_say
from adapters.slack.limits import EventMemory, RateLimiter
from adapters.slack.settings import SlackSettings


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("hello there", (None, "hello there")),
        ("--voice en_US-joe-medium hello", ("en_US-joe-medium", "hello")),
        ("-v amy  hi  ", ("amy", "hi")),
        ("--voice=amy hi", ("amy", "hi")),
        ("say --voice amy later", (None, "say --voice amy later")),
    ],
)
def test_parse_say(text: str, parsed: tuple[str | None, str]) -> None:
    assert parse_say(text) == parsed


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_is_per_user_and_slides() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 10.0, clock)
    assert limiter.allow("a") and limiter.allow("a")
    assert not limiter.allow("a") and limiter.allow("b")
    clock.now = 4.0
    assert limiter.retry_after("a") == pytest.approx(6.0)
    clock.now = 10.0
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")


def test_event_memory_forgets_after_its_ttl() -> None:
    clock = Clock()
    memory = EventMemory(60.0, clock)
    assert memory.first_time("Ev1") and not memory.first_time("Ev1")
    assert memory.first_time("Ev2")
    clock.now = 61.0
    assert memory.first_time("Ev1")


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEBUS_SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("VOICEBUS_SLACK_PORT", "3100")
    monkeypatch.setenv("VOICEBUS_SLACK_API_URL", "https://slack-gov.com/api")
    monkeypatch.setenv("VOICEBUS_SLACK_AUDIO_FORMAT", "opus")
    settings = SlackSettings()
    assert settings.bot_token.get_secret_value() == "xoxb-from-env"
    assert "xoxb-from-env" not in repr(settings)
    assert (settings.port, settings.api_url) == (3100, "https://slack-gov.com/api/")
    assert settings.filename == "speech.ogg" and not settings.socket_mode
    with pytest.raises(ValueError, match="audio_format"):
        SlackSettings(audio_format="midi")
