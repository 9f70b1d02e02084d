"""Where a sentence request is sent, and how long its reply stream may stay silent.

A request goes first to ``<prefix>.ready.<engine>``, which only workers with a free
inference slot subscribe to; NATS answers ``503`` at once when there is none, and the
request then goes to ``<prefix>.synth.<engine>``, the engine's queue group, where a worker
queues it by priority. A client sends one ``ready`` request at a time, each after the
previous one was answered: by then every node of a cluster knows which one-shot
subscriptions that answer used up, so none is routed to a used-up one (and lost).
A worker may hand a request back unstarted with ``busy`` (its slot
was taken meanwhile, or another worker became idle); the call then sends it again at once.
See docs/bus.md ("Work distribution").
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from hub.client.call_policy import (
    CallOptions,
    NoWorkersError,
    WorkerLostError,
    bus_unreachable,
)
from hub.contract.errors import SynthesisTimeoutError
from hub.contract.schemas import SynthesisRequest

MAX_HAND_BACKS = 32
"""Hand-backs one sentence may take before it fails as overloaded (each one means a worker
became free or full in between, so this is only reached if something is wrong)."""


READY_ANSWER_SECONDS = 1.0
"""A worker answers a request from ``ready`` at once (``start`` or ``busy``). Silence this
long means the request was lost: in a cluster, a node may still route it to a worker on
another node whose one-shot subscription was just used up. It then goes to the queue group
under a new id (the old one is cancelled, in case a very slow worker does start it)."""


READY_GATE_SECONDS = 0.05
"""How long one ``ready`` request may hold back the client's next one waiting for its answer
(normally well under a millisecond): a lost one must not stall every other sentence."""


async def answer_within(wait: Callable[[float], Awaitable[Msg]], seconds: float) -> Msg | None:
    """The next reply if one comes within ``seconds``, else None (the bus being down raises)."""
    try:
        return await wait(seconds)
    except WorkerLostError:
        return None


def is_no_responders(msg: Msg) -> bool:
    """NATS's own answer when nobody subscribes to the subject a request was sent to."""
    return (msg.headers or {}).get("Status") == "503"


def no_workers_error(engine: str) -> NoWorkersError:
    return NoWorkersError(
        f"no worker of engine {engine} is running", f"start one with 'voicebus engine {engine}'"
    )


async def next_reply(
    nc: Client,
    sub: Subscription,
    request: SynthesisRequest,
    options: CallOptions,
    engine: str,
    timeout: float,
) -> Msg:
    """The next message of a reply stream, or the typed error for a silence or a deadline."""
    while True:
        remaining = request.deadline - time.time()
        if remaining <= 0:
            raise SynthesisTimeoutError(
                f"sentence not done within {options.sentence_timeout:.0f} s",
                "the engine is too slow or overloaded; add workers or raise sentence_timeout",
            )
        try:
            return await sub.next_msg(timeout=min(timeout, remaining))
        except nats.errors.TimeoutError:
            if remaining <= timeout:
                continue  # the deadline, not the silence, ended the wait
            if not nc.is_connected:
                raise bus_unreachable() from None
            raise WorkerLostError(
                f"engine {engine} went silent for {timeout:.1f} s",
                "its worker may have died; check the engine logs",
            ) from None
