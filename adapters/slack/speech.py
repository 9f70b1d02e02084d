"""Text to an audio file in a conversation: synthesize through the hub, then Slack's
three-step upload (``files.getUploadURLExternal``, POST, ``files.completeUploadExternal``)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.settings import SlackSettings
from hub.audio import AudioSpec
from hub.client import HubClient

_LOGGER = logging.getLogger(__name__)
_COMMENT_CHARS = 3000


@dataclass(frozen=True)
class Delivery:
    """Where the speech goes and what it says."""

    text: str
    """The words to speak (already cleaned)."""
    voice: str | None
    channel: str
    thread_ts: str | None = None
    comment: str | None = None
    """Posted with the file (Slack markup allowed); None: no comment."""


@dataclass(frozen=True)
class Posted:
    """What one delivery took."""

    file_id: str
    voice: str
    audio_bytes: int
    synthesis_seconds: float
    upload_seconds: float


class Speaker:
    """Renders text to one file through the hub and posts it with the bot's Web API client."""

    def __init__(self, settings: SlackSettings, hub: HubClient, client: AsyncWebClient) -> None:
        self.settings, self.hub, self.client = settings, hub, client
        self.spec = AudioSpec(settings.audio_format)

    async def render(self, text: str, voice: str | None) -> tuple[bytes, str]:
        """The whole file for ``text`` and the voice that spoke it (the hub streams; the
        file is uploaded once complete). Raises the hub's typed errors."""
        stream = await self.hub.open(text, voice, output=self.spec)
        async with stream:
            audio = b"".join([chunk async for chunk in stream])
        return audio, stream.voice

    async def deliver(self, delivery: Delivery) -> Posted:
        started = time.perf_counter()
        audio, voice = await self.render(delivery.text, delivery.voice)
        rendered = time.perf_counter()
        answer = await self.client.files_upload_v2(
            channel=delivery.channel,
            content=audio,
            filename=self.settings.filename,
            title=delivery.text[:80],
            initial_comment=(delivery.comment or "")[:_COMMENT_CHARS] or None,
            thread_ts=delivery.thread_ts,
            request_file_info=False,
        )
        done = time.perf_counter()
        file_id = str(answer["files"][0]["id"]) if answer.get("files") else ""
        _LOGGER.info(
            "posted %d bytes of %s speech to %s in %.3f s + %.3f s upload",
            len(audio), voice, delivery.channel, rendered - started, done - rendered,
        )  # fmt: skip
        return Posted(file_id, voice, len(audio), rendered - started, done - rendered)
