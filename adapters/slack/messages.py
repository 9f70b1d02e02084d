"""What users read when something goes wrong: what happened and what to do, never internals."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from hub.contract.errors import (
    EngineOverloadedError,
    EngineUnavailableError,
    SynthesisTimeoutError,
    VoicebusError,
    VoiceNotFoundError,
)

_LOGGER = logging.getLogger(__name__)

SPEAKING = "Speaking..."
BUSY = "The speech engines are busy or not running right now. Try again in a minute."
FAILED = "Sorry, I could not make that speech. Try again; if it keeps failing, tell an admin."
EMPTY = "There is nothing to read. Give me some words, e.g. `/say Hello everyone`."
NO_WORDS = "That message has no words I can read aloud."
THIS_WITHOUT_THREAD = "Say `this` in a thread to have me read its first message."
_SLACK_REFUSALS = {
    "not_in_channel": "I am not in this conversation. Invite me (`/invite @voicebus`) and retry.",
    "channel_not_found": "I cannot post here. Invite me to the conversation and try again.",
    "is_archived": "This channel is archived, so I cannot post the speech here.",
    "file_uploads_disabled": "File uploads are disabled in this workspace.",
}


class NothingToRead(Exception):
    """The text had no words left once its markup was read (``&amp;&amp;``, a bare quote)."""


def too_long(length: int, limit: int) -> str:
    return f"That text has {length} characters; I read at most {limit}. Shorten it and retry."


def rate_limited(seconds: float) -> str:
    return f"You are going fast: try again in {max(1, round(seconds))} seconds."


def unknown_voice(voice: str, available: list[str]) -> str:
    shown = ", ".join(f"`{name}`" for name in sorted(available)[:20]) or "none right now"
    return f"I do not know the voice `{voice}`. Try one of: {shown} (`/voices` lists them)."


def missing_scope(scopes: list[str]) -> str:
    named = " or ".join(f"`{scope}`" for scope in scopes) or "the scope Slack asks for"
    return (
        f"This Slack app lacks the permission {named}. An admin adds it under OAuth & "
        "Permissions -> Bot Token Scopes, then reinstalls the app (docs/slack.md)."
    )


def _needed_scopes(error: SlackApiError) -> list[str]:
    """The scopes a ``missing_scope`` answer names in ``needed`` ("a,b")."""
    data = getattr(error.response, "data", None)
    needed = str(data.get("needed") or "") if isinstance(data, dict) else ""
    return [scope.strip() for scope in needed.split(",") if scope.strip()]


def slack_error_code(error: SlackApiError) -> str:
    """Slack's error code (``not_in_channel``), or "" when the answer was not Slack's JSON."""
    data = getattr(error.response, "data", None)
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def for_user(error: BaseException) -> str:
    """The message a user gets for ``error``; unexpected errors are logged, not shown."""
    if isinstance(error, NothingToRead):
        return NO_WORDS
    if isinstance(error, VoiceNotFoundError):  # no voice at all: nothing is running
        return unknown_voice(error.voice, error.available) if error.available else BUSY
    if isinstance(error, EngineOverloadedError | EngineUnavailableError | SynthesisTimeoutError):
        return BUSY
    if isinstance(error, VoicebusError):
        hint = f" {error.suggestion.capitalize()}." if error.suggestion else ""
        return f"{error.message.capitalize()}.{hint}"
    if isinstance(error, SlackApiError):
        code = slack_error_code(error)
        _LOGGER.warning("Slack refused a call: %s", code or error)
        if code == "missing_scope":
            return missing_scope(_needed_scopes(error))
        return _SLACK_REFUSALS.get(code, f"Slack refused a request ({code}). Try again later.")
    _LOGGER.error("speech failed", exc_info=error)
    return FAILED
