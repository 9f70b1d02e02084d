"""Slash commands: ``/say [--voice NAME] text``, ``/voices`` and ``/voice [NAME]``."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from adapters.slack import messages
from adapters.slack.service import Notify, SpeechService
from adapters.slack.speech import Delivery
from hub.contract.errors import VoiceNotFoundError

_LOGGER = logging.getLogger(__name__)
_VOICE_OPTION = re.compile(r"^\s*(?:--voice|-v)(?:=|\s+)(\S+)\s*")


def parse_say(text: str) -> tuple[str | None, str]:
    """``(voice, text)`` from ``/say``'s argument: ``--voice NAME`` (or ``-v``) first."""
    match = _VOICE_OPTION.match(text)
    if match is None:
        return None, text.strip()
    return match.group(1), text[match.end() :].strip()


def register(app: AsyncApp, service: SpeechService) -> None:
    for name, listener in COMMANDS.items():
        app.command(name)(listener(service))


def _say(service: SpeechService) -> Any:
    async def say(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        voice, markup = parse_say(command.get("text", ""))
        user = command["user_id"]
        refusal = service.refusal(user, markup)
        if refusal:
            await ack(text=refusal, response_type="ephemeral")
            return
        await ack(text=messages.SPEAKING, response_type="ephemeral")

        async def notify(text: str) -> None:
            await respond(text=text, response_type="ephemeral", replace_original=False)

        await service.guarded(notify, _speak(service, command, voice, markup, notify))

    return say


async def _speak(
    service: SpeechService, command: dict[str, Any], voice: str | None, markup: str, notify: Any
) -> None:
    voice = await service.voice_for(command.get("team_id"), command["user_id"], voice)
    text = await service.spoken(markup)
    await service.speak(Delivery(text, voice, command["channel_id"], comment=markup), notify)


def _voices(service: SpeechService) -> Any:
    async def voices(ack: AsyncAck) -> None:
        names = service.voice_names()
        if not names:
            await ack(text=messages.BUSY, response_type="ephemeral")
            return
        listed = "\n".join(f"- `{name}`" for name in names)
        await ack(
            text=f"Voices you can use (`/voice NAME` to pick one):\n{listed}",
            response_type="ephemeral",
        )

    return voices


def _voice(service: SpeechService) -> Any:
    async def voice(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()  # at once: finding a starting engine's voice may take past Slack's 3 s

        async def answer(text: str) -> None:
            await respond(text=text, response_type="ephemeral", replace_original=False)

        await service.guarded(answer, _choose_voice(service, command, answer))

    return voice


async def _choose_voice(service: SpeechService, command: dict[str, Any], answer: Notify) -> None:
    """``/voice`` shows the user's voice, ``/voice NAME`` saves NAME if the bus has it."""
    name = command.get("text", "").strip()
    team, user = command.get("team_id"), command["user_id"]
    if not name:
        current = await service.voice_for(team, user, None)
        await answer(f"Your voice is `{current or 'the default'}`. Change: `/voice NAME`.")
        return
    try:
        route = await service.hub.wait_for_voice(name)
    except VoiceNotFoundError as error:
        await answer(messages.for_user(error))
        return
    try:
        await service.preferences.set(team, user, route.voice.name)
    except Exception as error:  # storage is down: say so, keep serving
        _LOGGER.warning("could not save %s's voice: %s", user, error)
        await answer("I could not save your voice right now. Try again in a minute.")
        return
    await answer(f"Your voice is now `{route.voice.name}`.")


COMMANDS = {"/say": _say, "/voices": _voices, "/voice": _voice}
"""The slash commands (docs/slack.md's manifest lists the same)."""
