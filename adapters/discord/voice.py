"""Joining voice as Discord requires it now: PyNaCl and ``davey`` (DAVE end-to-end
encryption; since March 2026 Discord closes voice connections without it, code 4017).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from typing import Any

import discord

from adapters.discord.access import Refusal

_LOGGER = logging.getLogger(__name__)

DAVE_REQUIRED = 4017
CONNECT_TIMEOUT = 20.0
RECONNECT_WAIT = 30.0
"""How long a voice connection that discord.py is reconnecting is waited for."""


def voice_support() -> str | None:
    """None when voice can work; else one line saying what is missing."""
    missing = []
    for module, package in (("nacl", "PyNaCl"), ("davey", "davey")):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    if missing:
        return (
            f"Discord voice needs {' and '.join(missing)}, which did not load: install the "
            "project's discord extra (uv sync --all-extras)."
        )
    return None


class _CloseCodes(logging.Handler):
    """Close codes of the voice handshakes discord.py retries (it logs each failure with its
    ``ConnectionClosed``, then retries until the timeout: a 4017 would otherwise look like a
    mere timeout). ``dave_refused`` is set at the first 4017: retrying cannot help, as
    Discord refuses every voice connection of a bot without working DAVE (in any guild, so
    another guild's 4017 counting here is right too)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logging.ERROR)
        self.codes: list[int] = []
        self.dave_refused = asyncio.Event()
        self._loop = loop

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, discord.ConnectionClosed):
            self.codes.append(error.code)
            if error.code == DAVE_REQUIRED:
                self._loop.call_soon_threadsafe(self.dave_refused.set)


async def connect_voice(channel: Any) -> Any:
    """``channel.connect()`` with every failure turned into a Refusal the user understands;
    a 4017 (DAVE required) ends the attempt at once instead of after discord.py's retries."""
    codes = _CloseCodes(asyncio.get_running_loop())
    logger = logging.getLogger("discord.voice_state")
    logger.addHandler(codes)
    connecting = asyncio.ensure_future(_connect(channel, codes))
    refused = asyncio.ensure_future(codes.dave_refused.wait())
    try:
        await asyncio.wait([connecting, refused], return_when=asyncio.FIRST_COMPLETED)
        if connecting.done():
            return connecting.result()
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError, Refusal):
            await connecting
        await _abandon(channel)
        raise Refusal(explain_close(DAVE_REQUIRED))
    finally:
        refused.cancel()
        if not connecting.done():  # the command itself was cancelled
            connecting.cancel()
        logger.removeHandler(codes)


async def _connect(channel: Any, codes: _CloseCodes) -> Any:
    try:
        return await channel.connect(timeout=CONNECT_TIMEOUT, reconnect=True, self_deaf=True)
    except discord.ConnectionClosed as error:
        raise Refusal(explain_close(error.code)) from None
    except discord.Forbidden:
        raise Refusal(f"I am not allowed to join {channel.name}.") from None
    except TimeoutError:
        if codes.codes:
            raise Refusal(explain_close(codes.codes[-1])) from None
        raise Refusal("Discord's voice server did not answer in time; try again.") from None
    except discord.ClientException as error:
        _LOGGER.warning("voice connect to %s failed: %s", channel.id, error)
        raise Refusal("I could not join that voice channel; try /leave, then again.") from None


async def _abandon(channel: Any) -> None:
    """Disconnect the voice client a cancelled connect left registered."""
    voice = getattr(getattr(channel, "guild", None), "voice_client", None)
    if voice is not None:
        with contextlib.suppress(Exception):
            await voice.disconnect(force=True)


def explain_close(code: int | None) -> str:
    if code == DAVE_REQUIRED:
        _LOGGER.error(
            "Discord closed the voice connection with 4017 (DAVE end-to-end encryption "
            "required): is davey installed and discord.py >= 2.7?"
        )
        return "Discord refused my voice connection (it requires end-to-end encryption)."
    _LOGGER.warning("voice connection closed by Discord with code %s", code)
    return f"Discord closed my voice connection (code {code}); try again."


async def wait_connected(voice: Any, timeout: float = RECONNECT_WAIT) -> bool:
    """Wait while discord.py reconnects ``voice``; True once it is connected, False when it
    is gone (no longer the guild's voice client) or still down after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not voice.is_connected():
        if not still_registered(voice) or loop.time() >= deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def still_registered(voice: Any) -> bool:
    """Whether discord.py still keeps ``voice`` as its guild's voice client (it does while it
    reconnects after a drop; a disconnect from outside removes it)."""
    guild = getattr(getattr(voice, "channel", None), "guild", None)
    return guild is not None and guild.voice_client is voice
