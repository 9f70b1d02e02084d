"""Connecting to NATS with the project's options: auth, TLS, reconnect forever, quiet logs."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from typing import Any

import nats
from nats.aio.client import Client

from hub.settings import NatsOptions

_LOGGER = logging.getLogger(__name__)

ERROR_LOG_INTERVAL = 30.0
"""Seconds between warnings about the same lost connection."""


def _tls_context(options: NatsOptions) -> ssl.SSLContext | None:
    if not (options.nats_tls_ca or options.nats_tls_cert):
        return None
    context = ssl.create_default_context(
        cafile=str(options.nats_tls_ca) if options.nats_tls_ca else None
    )
    if options.nats_tls_cert:
        key = str(options.nats_tls_key) if options.nats_tls_key else None
        context.load_cert_chain(str(options.nats_tls_cert), key)
    return context


def connect_kwargs(options: NatsOptions, name: str) -> dict[str, Any]:
    """Keyword arguments for ``nats.connect``; secrets are unwrapped here and nowhere else."""
    kwargs: dict[str, Any] = {
        "servers": [url.strip() for url in options.nats_url.split(",") if url.strip()],
        "name": name,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 1,
        "connect_timeout": 3,
        "drain_timeout": 5,  # a stop while NATS is away must not hang for nats-py's 30 s
    }
    if options.nats_user:
        kwargs["user"] = options.nats_user
    if options.nats_password:
        kwargs["password"] = options.nats_password.get_secret_value()
    if options.nats_token:
        kwargs["token"] = options.nats_token.get_secret_value()
    if options.nats_creds:
        kwargs["user_credentials"] = str(options.nats_creds)
    if options.nats_nkey_seed:
        kwargs["nkeys_seed"] = str(options.nats_nkey_seed)
    tls = _tls_context(options)
    if tls:
        kwargs["tls"] = tls
    return kwargs


async def connect(options: NatsOptions, name: str) -> Client:
    """Connect; a server that is still starting gets ``nats_connect_wait`` seconds to appear.

    Once connected, the client reconnects forever (NATS restarts are routine).
    """
    holder: list[Client] = []
    last_warning = [0.0]

    def closing() -> bool:
        return bool(holder) and (holder[0].is_closed or holder[0].is_draining)

    async def on_error(error: Exception) -> None:
        # While reconnecting, every failed attempt is an error: say it once per half minute.
        quiet = time.monotonic() - last_warning[0] < ERROR_LOG_INTERVAL
        if not holder or closing() or quiet:
            _LOGGER.debug("NATS error on %s: %s", name, error)
        else:
            last_warning[0] = time.monotonic()
            _LOGGER.warning("NATS error on %s: %s (repeats are logged at debug level)", name, error)

    async def on_disconnected() -> None:
        if holder and not closing():
            _LOGGER.warning("%s disconnected from NATS; reconnecting", name)

    async def on_reconnected() -> None:
        last_warning[0] = 0.0
        _LOGGER.info("%s reconnected to NATS", name)

    kwargs = connect_kwargs(options, name)
    try:
        nc = await asyncio.wait_for(
            nats.connect(
                error_cb=on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=on_reconnected,
                **kwargs,
            ),
            options.nats_connect_wait,
        )
    except Exception as error:  # nats raises several unrelated types here
        servers = ", ".join(kwargs["servers"])
        reason = "no answer" if isinstance(error, TimeoutError) else str(error) or repr(error)
        raise ConnectionError(f"cannot reach NATS at {servers}: {reason}") from None
    holder.append(nc)
    return nc
