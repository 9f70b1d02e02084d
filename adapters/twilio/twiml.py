"""TwiML answers: ``<Connect><Stream>`` (bidirectional) with the stream token and the text.

Never ``<Start><Stream>``: that stream is one-way and the caller would hear nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from twilio.twiml.voice_response import Connect, VoiceResponse

MEDIA_PATH = "/twilio/media"
MAX_PARAMETER_CHARS = 450
"""Twilio allows under 500 characters per parameter, name and value together."""


def media_url(public_url: str) -> str:
    """The ``wss://`` URL of the media socket on the public host (no query string)."""
    parts = urlsplit(public_url)
    scheme = "ws" if parts.scheme == "http" else "wss"
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}{MEDIA_PATH}"


def connect_stream(
    public_url: str,
    token: str,
    *,
    say: str = "",
    voice: str | None = None,
    hangup: bool = False,
    barge_in: bool = True,
) -> str:
    """TwiML that connects the call to the media socket; after the socket closes, the call
    ends (no verb follows ``</Connect>``)."""
    if len(say) > MAX_PARAMETER_CHARS:
        raise ValueError(f"text is {len(say)} characters; a call's text takes at most 450")
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=media_url(public_url), name="voicebus")
    stream.parameter(name="token", value=token)
    if say:
        stream.parameter(name="say", value=say)
    if voice:
        stream.parameter(name="voice", value=voice)
    stream.parameter(name="hangup", value="true" if hangup else "false")
    stream.parameter(name="barge_in", value="true" if barge_in else "false")
    response.append(connect)
    return str(response)
