"""What each way of handing out work costs a lone request, without any engine.

A responder answers every request at once on its reply inbox; the client times publish ->
first answer, one request at a time (a lone request), for each mechanism:

* ``queue group``: publish on a subject a queue group listens on (what voicebus did before).
* ``ready (one-shot)``: the worker holds one subscription per free slot that the server
  drops after one message (``SUB`` + ``UNSUB 1``) and subscribes again after answering;
  what voicebus does now when a worker is free.
* ``ready 503, then queue``: nobody has a free slot: NATS answers 503 on ``ready`` and the
  client publishes on the queue group (voicebus's path when every worker is busy).
* ``JetStream pull``: a work-queue stream in memory; the worker keeps a pull (``fetch``)
  open and answers the inbox named in a header, then acks. The client publishes without
  waiting for the stream's ack (its cheapest form).

Run alone: ``.venv/bin/python bench/dispatch_costs.py`` (starts its own nats-server);
``bench/distribution_bench.py`` prints the same table.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from hub.process.natsserver import NatsServer

REQUESTS = 300
Setup = Callable[[Client, Client], Awaitable[Callable[[], Awaitable[float]]]]


async def _answer(nc: Client, reply: str) -> None:
    await nc.publish(reply, b"start")


async def queue_group(worker: Client, client: Client) -> Callable[[], Awaitable[float]]:
    async def serve(msg: Msg) -> None:
        await _answer(worker, msg.reply)

    await worker.subscribe("cost.synth", queue="w", cb=serve)
    await worker.flush()
    return lambda: _time_request(client, "cost.synth")


async def ready_one_shot(worker: Client, client: Client) -> Callable[[], Awaitable[float]]:
    async def serve(msg: Msg) -> None:
        await subscribe_once()  # before answering, as the runner does (see runner.py)
        await _answer(worker, msg.reply)

    async def subscribe_once() -> None:
        sub = await worker.subscribe("cost.ready", queue="w", cb=serve)
        await sub.unsubscribe(limit=1)

    await subscribe_once()
    await worker.flush()
    return lambda: _time_request(client, "cost.ready")


async def ready_then_queue(worker: Client, client: Client) -> Callable[[], Awaitable[float]]:
    async def serve(msg: Msg) -> None:
        await _answer(worker, msg.reply)

    await worker.subscribe("cost.queue", queue="w", cb=serve)
    await worker.flush()

    async def request() -> float:
        inbox = client.new_inbox()
        sub = await client.subscribe(inbox)
        began = time.perf_counter()
        await client.publish("cost.nobody-ready", b"{}", reply=inbox)
        first = await sub.next_msg(timeout=5)
        assert (first.headers or {}).get("Status") == "503"
        await client.publish("cost.queue", b"{}", reply=inbox)
        await sub.next_msg(timeout=5)
        elapsed = time.perf_counter() - began
        await sub.unsubscribe()
        return elapsed

    return request


async def jetstream_pull(worker: Client, client: Client) -> Callable[[], Awaitable[float]]:
    js = worker.jetstream()
    with contextlib.suppress(Exception):
        await js.delete_stream("COSTWQ")
    await js.add_stream(
        name="COSTWQ", subjects=["cost.wq"], retention="workqueue", storage="memory"
    )
    pull = await js.pull_subscribe("cost.wq", durable="w", stream="COSTWQ")

    async def serve_forever() -> None:
        while True:
            try:
                msgs = await pull.fetch(1, timeout=5)
            except nats.errors.TimeoutError:
                continue
            except nats.errors.ConnectionClosedError:
                return
            for msg in msgs:
                await _answer(worker, (msg.headers or {})["Reply"])
                await msg.ack()

    task = asyncio.create_task(serve_forever())
    _KEEP.append(task)

    async def request() -> float:
        inbox = client.new_inbox()
        sub = await client.subscribe(inbox)
        began = time.perf_counter()
        await client.publish("cost.wq", b"{}", headers={"Reply": inbox})
        await sub.next_msg(timeout=5)
        elapsed = time.perf_counter() - began
        await sub.unsubscribe()
        return elapsed

    return request


_KEEP: list[asyncio.Task[None]] = []

MECHANISMS: dict[str, Setup] = {
    "queue group (before)": queue_group,
    "ready, one-shot subscription (now, a worker free)": ready_one_shot,
    "ready 503, then queue group (now, every worker busy)": ready_then_queue,
    "JetStream work queue, pull consumer": jetstream_pull,
}


async def _time_request(client: Client, subject: str) -> float:
    inbox = client.new_inbox()
    sub = await client.subscribe(inbox)
    began = time.perf_counter()
    await client.publish(subject, b"{}", reply=inbox)
    answer = await sub.next_msg(timeout=5)
    elapsed = time.perf_counter() - began
    assert (answer.headers or {}).get("Status") != "503", "no worker had subscribed yet"
    await sub.unsubscribe()
    return elapsed


async def measure(url: str, requests: int = REQUESTS) -> dict[str, float]:
    """Median seconds from publish to the first answer, per mechanism."""
    results = {}
    for name, setup in MECHANISMS.items():
        worker, client = await nats.connect(url), await nats.connect(url)
        try:
            request = await setup(worker, client)
            for _ in range(20):  # warm-up
                await request()
            results[name] = statistics.median([await request() for _ in range(requests)])
        finally:
            for task in _KEEP:
                task.cancel()
            await asyncio.gather(*_KEEP, return_exceptions=True)
            _KEEP.clear()
            await worker.close()
            await client.close()
    return results


def print_costs(results: dict[str, float]) -> None:
    width = max(len(name) for name in results)
    print(f"{'mechanism'.ljust(width)}  lone request, publish -> first answer (median)")
    for name, seconds in results.items():
        print(f"{name.ljust(width)}  {seconds * 1e6:8.0f} us")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp), port=-1) as server:
        print_costs(asyncio.run(measure(server.url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
