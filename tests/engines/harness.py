"""Test harness: run ``voicebus engine NAME`` with the model's token generation capped.

Run with the engine environment's Python: ``.venv-xtts/bin/python harness.py xtts``.
Random weights never emit a stop token, so this wraps the model's token-generation method
(from the test side; the engine is untouched) to stop after ``VOICEBUS_TEST_MAX_TOKENS``
tokens, and appends the number of speech tokens each request decoded to the JSON-lines file
``VOICEBUS_TEST_TOKEN_LOG``. For Chatterbox it also applies the checkpoint's test
architecture (``voicebus-test-arch.json``: T3's size lives in a module-level dict, not in
the checkpoint) before the engine builds its model.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

MAX_TOKENS = int(os.environ.get("VOICEBUS_TEST_MAX_TOKENS", "0")) or None
TOKEN_LOG = os.environ.get("VOICEBUS_TEST_TOKEN_LOG")


def record(engine: str, tokens: int) -> None:
    if TOKEN_LOG:
        with open(TOKEN_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"engine": engine, "tokens": tokens}) + "\n")


def patch_xtts() -> None:
    from TTS.tts.layers.xtts.gpt import GPT

    original = GPT.get_generator

    @functools.wraps(original)
    def capped(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        count = 0
        try:
            for item in original(self, *args, **kwargs):
                yield item
                count += 1
                if MAX_TOKENS and count >= MAX_TOKENS:
                    return
        finally:
            record("xtts", count)

    GPT.get_generator = capped


def apply_test_arch(model_dir: str | None) -> None:
    """Shrink chatterbox's T3 exactly as the test checkpoint was built."""
    if not model_dir:
        return
    arch = Path(model_dir) / "voicebus-test-arch.json"
    if arch.is_file():
        from chatterbox.models.t3.llama_configs import LLAMA_CONFIGS

        for name, overrides in json.loads(arch.read_text()).items():
            LLAMA_CONFIGS[name].update(overrides)


def _wrap(cls: Any, method: str, limit_kw: str, count: Callable[[Any], int], name: str) -> None:
    original = getattr(cls, method)

    @functools.wraps(original)
    def capped(self: Any, *args: Any, **kwargs: Any) -> Any:
        if MAX_TOKENS:
            kwargs[limit_kw] = MAX_TOKENS
        tokens = original(self, *args, **kwargs)
        record(name, count(tokens))
        return tokens

    setattr(cls, method, capped)


def patch_chatterbox() -> None:
    from chatterbox.models.t3.t3 import T3

    apply_test_arch(os.environ.get("VOICEBUS_CHATTERBOX_MODEL_DIR"))
    apply_test_arch(os.environ.get("VOICEBUS_CHATTERBOX_TURBO_MODEL_DIR"))
    # What the engine decodes: ids below 6561 (start/stop and out-of-range ids are dropped);
    # Turbo then appends 3 silence tokens.
    _wrap(T3, "inference", "max_new_tokens", lambda t: int((t[0] < 6561).sum()), "chatterbox")
    _wrap(T3, "inference_turbo", "max_gen_len", lambda t: int((t < 6561).sum()) + 3, "turbo")


def main(name: str) -> None:
    if name == "xtts":
        patch_xtts()
    elif name.startswith("chatterbox"):
        patch_chatterbox()
    from hub.cli import main as cli

    cli(["engine", name], prog_name="voicebus")


if __name__ == "__main__":
    main(sys.argv[1])
