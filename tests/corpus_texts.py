"""The texts of the REST fuzz corpus (tests/adapters/openai/test_corpus.py), for what they do
to an engine rather than to the adapter: the memory checks run every one through a worker."""

from __future__ import annotations

from tests.adapters.openai.test_corpus import BODIES


def corpus_texts() -> list[str]:
    """Every distinct string ``input`` and ``instructions`` of the corpus, in its order."""
    texts: list[str] = []
    for _, body in BODIES:
        if not isinstance(body, dict):
            continue
        for field in ("input", "instructions"):
            value = body.get(field)
            if isinstance(value, str) and value not in texts:
                texts.append(value)
    return texts
