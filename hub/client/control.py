"""Control commands to the workers of one engine: load, unload, keep-warm, status.

The command goes to ``<prefix>.control.<engine>``; every worker of the engine answers on the
reply inbox with its announcement, or with an ``error`` message.
"""

from __future__ import annotations

import time

import nats.errors
from nats.aio.client import Client

from hub.contract.schemas import (
    KIND_HEADER,
    ControlCommand,
    EngineAnnouncement,
    MessageKind,
    StreamError,
)
from hub.contract.subjects import Subjects

ControlAnswer = EngineAnnouncement | StreamError
"""One worker's answer: its announcement after the command, or why the command failed."""


async def send_control(
    nc: Client,
    subjects: Subjects,
    engine: str,
    command: ControlCommand,
    *,
    expected: int,
    timeout: float,
) -> list[ControlAnswer]:
    """Publish ``command`` and collect answers until ``expected`` arrived or ``timeout``."""
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    try:
        await nc.publish(subjects.control(engine), command.model_dump_json().encode(), reply=inbox)
        answers: list[ControlAnswer] = []
        deadline = time.monotonic() + timeout
        while len(answers) < expected and (remaining := deadline - time.monotonic()) > 0:
            try:
                msg = await sub.next_msg(timeout=remaining)
            except nats.errors.TimeoutError:
                break
            if (msg.headers or {}).get(KIND_HEADER) == MessageKind.ERROR:
                answers.append(StreamError.model_validate_json(msg.data))
            else:
                answers.append(EngineAnnouncement.model_validate_json(msg.data))
        return answers
    finally:
        await sub.unsubscribe()
