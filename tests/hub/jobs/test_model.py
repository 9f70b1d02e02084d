"""A job's sentences are cut once, at submission, from every text in order."""

from __future__ import annotations

from hub.jobs.model import JobRecord, JobSpec, Progress, plan_sentences


def test_every_text_is_cut_into_sentences_in_order() -> None:
    texts = ["Chapter one. It was dark.", "  ", "Chapter two!\x00 The end"]
    assert plan_sentences(texts) == [
        "Chapter one.", "It was dark.", "Chapter two!", "The end",
    ]  # fmt: skip
    long = "word " * 200
    pieces = plan_sentences([long], max_sentence_chars=100)
    assert all(len(piece) <= 100 for piece in pieces)
    assert " ".join(pieces).split() == long.split()


def test_the_public_view_has_the_agreed_fields() -> None:
    record = JobRecord(
        id="job_1", progress=Progress(done=1, total=3), spec=JobSpec(voice="v"),
        requested_voice="alloy", webhook_url="http://secret.example/hook", owner="r1",
    )  # fmt: skip
    view = record.public()
    assert {"id", "status", "progress", "voice", "response_format", "created_at", "error"} <= set(
        view
    )
    assert view["progress"] == {"done": 1, "total": 3} and view["voice"] == "alloy"
    assert "webhook_url" not in view and "owner" not in view
