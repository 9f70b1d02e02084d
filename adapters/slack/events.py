"""Mentions (``app_mention``) and the "Read aloud" message shortcut: replies in the thread."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import messages
from adapters.slack.cleaning import strip_mention
from adapters.slack.service import Notify, SpeechService
from adapters.slack.speech import Delivery

_LOGGER = logging.getLogger(__name__)
READ_ALOUD = "read_aloud"
"""The callback id of the message shortcut (docs/slack.md's manifest)."""
_THIS = {"this", "this.", "this!", "read this", "read this."}


def register(app: AsyncApp, service: SpeechService) -> None:
    app.event("app_mention")(_mention(service))
    app.shortcut(READ_ALOUD)(_read_aloud(service))


def ephemeral(client: AsyncWebClient, channel: str, user: str, thread: str | None) -> Notify:
    async def notify(text: str) -> None:
        await client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread)

    return notify


async def _parent_text(client: AsyncWebClient, channel: str, thread_ts: str) -> str:
    answer = await client.conversations_replies(channel=channel, ts=thread_ts, limit=1)
    found = answer.get("messages") or []
    return str(found[0].get("text", "")) if found else ""


def _mention(service: SpeechService) -> Any:
    async def mention(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if not await service.events.first_time(str(body.get("event_id") or event.get("event_ts"))):
            _LOGGER.info("event %s was retried; already answered", body.get("event_id"))
            return
        notify = ephemeral(service.client, event["channel"], event.get("user", ""),
                           event.get("thread_ts"))  # fmt: skip
        await service.guarded(notify, _answer_mention(service, event, context, notify))

    return mention


async def _answer_mention(
    service: SpeechService, event: dict[str, Any], context: AsyncBoltContext, notify: Notify
) -> None:
    channel, user, parent = event["channel"], event.get("user", ""), event.get("thread_ts")
    markup = strip_mention(event.get("text", ""), context.bot_user_id or "")
    if markup.lower() in _THIS:
        if not parent:
            await notify(messages.THIS_WITHOUT_THREAD)
            return
        markup = await _parent_text(service.client, channel, parent)
    refusal = service.refusal(user, markup)
    if refusal:
        await notify(refusal)
        return
    voice = await service.voice_for(context.team_id, user, None)
    thread = parent or event["ts"]
    await service.speak(Delivery(await service.spoken(markup), voice, channel, thread), notify)


def _read_aloud(service: SpeechService) -> Any:
    async def read_aloud(ack: AsyncAck, shortcut: dict[str, Any]) -> None:
        await ack()
        message, user = shortcut.get("message") or {}, shortcut["user"]["id"]
        channel = shortcut["channel"]["id"]
        thread = message.get("thread_ts") or message.get("ts")
        notify = ephemeral(service.client, channel, user, thread)
        await service.guarded(notify, _answer_shortcut(service, shortcut, message, notify))

    return read_aloud


async def _answer_shortcut(
    service: SpeechService, shortcut: dict[str, Any], message: dict[str, Any], notify: Notify
) -> None:
    user, channel = shortcut["user"]["id"], shortcut["channel"]["id"]
    markup = str(message.get("text", ""))
    if not any(ch.isalnum() for ch in markup):
        await notify(messages.NO_WORDS)
        return
    refusal = service.refusal(user, markup)
    if refusal:
        await notify(refusal)
        return
    voice = await service.voice_for((shortcut.get("team") or {}).get("id"), user, None)
    thread = message.get("thread_ts") or message.get("ts")
    await service.speak(Delivery(await service.spoken(markup), voice, channel, thread), notify)
