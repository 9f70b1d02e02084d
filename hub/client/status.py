"""Ask every adapter supervisor on the bus how its adapters are (the status subject).

Any number of processes may answer one request, so the answers are collected for a short
window: ``settle`` seconds after the last one, at most ``timeout`` seconds in all.
"""

from __future__ import annotations

import contextlib
import logging
import time

import nats.errors
from nats.aio.client import Client
from pydantic import ValidationError

from hub.contract.schemas import AdapterStatus, AdapterStatusList
from hub.contract.subjects import Subjects

_LOGGER = logging.getLogger(__name__)


async def adapter_statuses(
    nc: Client, subjects: Subjects, *, timeout: float = 1.0, settle: float = 0.2
) -> list[AdapterStatus]:
    """Every adapter any supervisor reports, sorted by name, host and pid."""
    if not nc.is_connected:
        return []
    inbox = nc.new_inbox()
    subscription = await nc.subscribe(inbox)
    found: list[AdapterStatus] = []
    try:
        await nc.publish(subjects.adapter_status, b"", reply=inbox)
        deadline = time.monotonic() + timeout
        wait = timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await subscription.next_msg(timeout=min(wait, left))
            except nats.errors.TimeoutError:
                break
            except nats.errors.Error as error:  # the connection dropped: report what came
                _LOGGER.debug("adapter status request ended: %s", error)
                break
            try:
                found.extend(AdapterStatusList.model_validate_json(msg.data).adapters)
            except ValidationError:
                _LOGGER.debug("ignoring a malformed adapter status answer")
            wait = settle
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
    return sorted(found, key=lambda status: (status.adapter, status.host, status.pid))
