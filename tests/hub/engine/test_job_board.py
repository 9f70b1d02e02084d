"""The worker's job board on its own: serving order, slot arithmetic, what may be handed back."""

from __future__ import annotations

import time

from hub.contract.schemas import PriorityClass, SynthesisRequest, VoiceInfo
from hub.engine.announcer import WorkerStats
from hub.engine.job_board import JobBoard
from hub.engine.replies import Job

VOICE = VoiceInfo(name="v", sample_rate=22050)


def job(text: str, priority: int = 0, cls: str = "interactive", retry: bool = True) -> Job:
    request = SynthesisRequest(
        text=text,
        voice="v",
        deadline=time.time() + 60,
        priority=priority,
        priority_class=PriorityClass(cls),
        retry_on_busy=retry,
    )
    return Job(request=request, reply="inbox", voice=VOICE)


async def test_served_by_class_then_position_then_arrival() -> None:
    board = JobBoard(1, WorkerStats())
    for item in (
        job("batch first", 0, "batch"),
        job("interactive third", 2),
        job("interactive first", 0),
        job("realtime fifth", 5, "realtime"),
        job("interactive first, later", 0),
    ):
        board.add(item)
    order = [(await board.next()).request.text for _ in range(5)]
    assert order == [
        "realtime fifth",
        "interactive first",
        "interactive first, later",
        "interactive third",
        "batch first",
    ]


async def test_slots_and_waiting() -> None:
    stats = WorkerStats()
    board = JobBoard(2, stats)
    assert (board.free_slots(), board.waiting()) == (2, 0)
    board.add(job("one"))
    assert (board.free_slots(), board.waiting()) == (1, 0)  # a slot will take it at once
    await board.next()
    stats.in_flight = 1
    board.add(job("two"))
    board.add(job("three"))
    assert (board.free_slots(), board.waiting()) == (-1, 1)


async def test_only_waiting_jobs_of_clients_that_resend_are_handed_to_a_peer() -> None:
    stats = WorkerStats(in_flight=1)
    board = JobBoard(1, stats)
    old_client = job("from an older client", 0, retry=False)
    board.add(old_client)
    assert board.take_for_peer() is None  # it would never be re-sent: kept, still queued
    assert board.queued() == 1
    board.add(job("urgent", 0, "realtime"))
    board.add(job("later", 3))
    handed = board.take_for_peer()
    assert handed is not None and handed.request.text == "urgent"
    assert board.pop(handed.request.request_id) is handed
    remaining = [(await board.next()).request.text for _ in range(2)]
    assert remaining == ["from an older client", "later"]


async def test_a_job_popped_while_queued_is_skipped() -> None:
    board = JobBoard(1, WorkerStats())
    gone, kept = job("cancelled and ended"), job("still ours")
    board.add(gone)
    board.add(kept)
    board.pop(gone.request.request_id)
    assert await board.next() is kept
