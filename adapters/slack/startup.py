"""Checks before the adapter serves: settings that must be there, and a token Slack accepts.
Each failure is one clear exception (the supervisor logs it and retries this adapter only)."""

from __future__ import annotations

from typing import Any

import aiohttp
from nats.errors import Error as NatsError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.ledger import EventLedger
from adapters.slack.messages import slack_error_code
from adapters.slack.preferences import VoicePreferences
from adapters.slack.settings import SlackSettings
from hub.client import HubClient


class SlackStartupError(RuntimeError):
    """The adapter cannot serve: the message says what to fix (never a secret)."""


def check_settings(settings: SlackSettings) -> None:
    if not settings.bot_token.get_secret_value():
        raise SlackStartupError("no bot token: set VOICEBUS_SLACK_BOT_TOKEN (xoxb-...)")
    if not settings.socket_mode and not settings.signing_secret.get_secret_value():
        raise SlackStartupError(
            "no signing secret: set VOICEBUS_SLACK_SIGNING_SECRET for HTTP mode, "
            "or VOICEBUS_SLACK_APP_TOKEN (xapp-...) for Socket Mode"
        )


async def verify_token(client: AsyncWebClient, api_url: str) -> dict[str, Any]:
    """``auth.test``'s answer; raises :class:`SlackStartupError` when Slack says no or
    cannot be reached."""
    try:
        answer = await client.auth_test()
    except SlackApiError as error:
        code = slack_error_code(error) or "no error code"
        raise SlackStartupError(f"Slack rejected the bot token ({code})") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        raise SlackStartupError(
            f"cannot reach Slack's Web API at {api_url}: {type(error).__name__}"
        ) from None
    return dict(answer.data) if isinstance(answer.data, dict) else {}


async def open_stores(
    settings: SlackSettings, hub: HubClient
) -> tuple[VoicePreferences, EventLedger]:
    """The users' voices and the answered events, in JetStream KV; raises
    :class:`SlackStartupError` when the server has no JetStream."""
    try:
        preferences = await VoicePreferences.open(hub, settings.voice_bucket)
        ledger = await EventLedger.open(hub, settings.events_bucket, settings.dedup_seconds)
    except (NatsError, TimeoutError) as error:
        raise SlackStartupError(
            f"cannot open the JetStream KV buckets {settings.voice_bucket!r} and "
            f"{settings.events_bucket!r} ({type(error).__name__}): "
            "is JetStream enabled on the NATS server?"
        ) from None
    return preferences, ledger
