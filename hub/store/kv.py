"""Reading a JetStream key-value bucket whole: the latest value of every key, in one pass."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.kv import KeyValue

LIST_TIMEOUT = 10.0
"""Seconds one read of the bucket may wait for its next entry."""


async def latest_values(js: JetStreamContext, kv: KeyValue, bucket: str) -> dict[str, bytes]:
    """Every live key of ``bucket`` and its latest value (deleted and purged keys left out).

    Reads up to the stream's last sequence number as of the call, so a slow server can never
    make the bucket look empty (the client's "no more entries" marker can race).
    """
    state = (await js.stream_info(f"KV_{bucket}")).state
    if not state.messages:
        return {}
    values: dict[str, bytes] = {}
    watcher = await kv.watchall()
    try:
        while True:
            entry = await watcher.updates(timeout=LIST_TIMEOUT)
            if entry is None:
                continue
            if entry.operation is None and entry.value:
                values[entry.key] = entry.value
            else:
                values.pop(entry.key, None)
            if (entry.revision or 0) >= state.last_seq:
                break
    finally:
        await watcher.stop()
    return values
