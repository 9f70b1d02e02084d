"""What every Slack entry point shares: limits, cleaning, the user's voice, and delivery
with errors turned into a note for the user."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import messages
from adapters.slack.cleaning import clean_slack_text, mentioned_users
from adapters.slack.ledger import EventLedger
from adapters.slack.limits import RateLimiter
from adapters.slack.preferences import VoicePreferences
from adapters.slack.settings import SlackSettings
from adapters.slack.speech import Delivery, Posted, Speaker
from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)

Notify = Callable[[str], Awaitable[object]]
"""Tells the user something only they see (an ephemeral message)."""


class SpeechService:
    def __init__(
        self,
        settings: SlackSettings,
        hub: HubClient,
        client: AsyncWebClient,
        preferences: VoicePreferences,
        events: EventLedger,
    ) -> None:
        self.settings, self.hub, self.client = settings, hub, client
        self.preferences = preferences
        self.speaker = Speaker(settings, hub, client)
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window)
        self.events = events
        self._names: dict[str, str] = {}

    # ---- checks that answer at once ----------------------------------------------------

    def refusal(self, user: str, text: str) -> str | None:
        """Why ``text`` from ``user`` is not read (empty, too long, rate limited), or None.
        Counts the request against the user's rate limit when it is accepted."""
        if not any(ch.isalnum() for ch in text):
            return messages.EMPTY
        if len(text) > self.settings.max_text_chars:
            return messages.too_long(len(text), self.settings.max_text_chars)
        if not self.limiter.allow(user):
            return messages.rate_limited(self.limiter.retry_after(user))
        return None

    # ---- text and voice ----------------------------------------------------------------

    async def spoken(self, markup: str) -> str:
        """Slack markup as words, with mentioned users' names looked up (and cached);
        raises :class:`messages.NothingToRead` when no word is left."""
        for user in mentioned_users(markup) - self._names.keys():
            name = await self._lookup_name(user)
            if name:  # a failed lookup is asked again next time
                self._names[user] = name
        text = clean_slack_text(markup, self._names, self.settings.replacements)
        if not text:
            raise messages.NothingToRead(markup)
        return text

    async def _lookup_name(self, user: str) -> str | None:
        """The user's display name from ``users.info``; None when Slack gives none."""
        try:
            answer = await self.client.users_info(user=user)
        except SlackApiError as error:
            _LOGGER.info("no name for %s: %s", user, messages.slack_error_code(error))
            return None
        info = answer.get("user") or {}
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("name")
        return str(name) if name else None

    async def voice_for(self, team: str | None, user: str, explicit: str | None) -> str | None:
        """The voice to use: the one asked for, else the user's saved one, else the default."""
        if explicit:
            return explicit
        try:
            saved = await self.preferences.get(team, user)
        except Exception as error:  # the KV store is a convenience: fall back to the default
            _LOGGER.warning("could not read %s's voice: %s", user, error)
            saved = None
        return saved or self.settings.default_voice

    def voice_names(self) -> list[str]:
        return sorted({route.voice.name for route in self.hub.voices()})

    # ---- delivery ----------------------------------------------------------------------

    async def speak(self, delivery: Delivery, notify: Notify) -> Posted | None:
        """Post ``delivery`` as audio; any failure becomes an ephemeral note via ``notify``."""
        try:
            return await self.speaker.deliver(delivery)
        except Exception as error:  # the edge: the user learns what to do, the log why
            await self._tell(notify, messages.for_user(error))
            return None

    async def guarded(self, notify: Notify, work: Awaitable[object]) -> None:
        """Run a listener's ``work``; whatever escapes it becomes a note for the user."""
        try:
            await work
        except Exception as error:  # the edge of one request: never a traceback to Slack
            await self._tell(notify, messages.for_user(error))

    async def _tell(self, notify: Notify, text: str) -> None:
        try:
            await notify(text)
        except Exception as error:
            _LOGGER.warning("could not tell the user %r: %s", text, error)
