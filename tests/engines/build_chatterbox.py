"""Build a small, randomly initialised Chatterbox (or Chatterbox Turbo) checkpoint in the
layout ``from_local`` reads.

Run with the Chatterbox environment's Python:
``.venv-chatterbox/bin/python build_chatterbox.py OUT_DIR chatterbox|chatterbox-turbo``.

T3's size lives in chatterbox's module-level ``LLAMA_CONFIGS``, not in the checkpoint, so the
overrides are also written to ``voicebus-test-arch.json``; the test harness applies them in
the engine process before the engine builds its model. S3Gen and the voice encoder keep their
real shapes (S3Gen cannot shrink). A built-in voice (``conds.pt``) is made from a synthetic
6-second clip through the model's own ``prepare_conditionals``.
"""

from __future__ import annotations

import json
import string
import sys
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np
import torch
from chatterbox.models.t3.llama_configs import LLAMA_CONFIGS
from safetensors.torch import save_file
from tokenizers import Tokenizer
from tokenizers.models import BPE

# Standard T3 is Llama-shaped; its hidden size must stay 1024 (a sub-module is wired to it).
STANDARD_ARCH = {"Llama_520M": {"num_hidden_layers": 2, "intermediate_size": 1024}}
TURBO_ARCH = {
    "GPT2_medium": {"n_layer": 2, "n_embd": 256, "hidden_size": 256, "n_head": 4, "n_inner": 512}
}
CHARS = sorted(set(string.ascii_letters + string.digits + string.punctuation))


def save(module: torch.nn.Module, path: Path) -> None:
    state = {key: value.detach().contiguous().clone() for key, value in module.state_dict().items()}
    save_file(state, str(path))


def char_tokenizer(special: dict[str, int]) -> Tokenizer:
    """Character-level ``tokenizers`` file; specials at fixed ids, characters in the gaps."""
    vocab = dict(special)
    free = (i for i in range(1, 10_000) if i not in special.values())
    for char in CHARS:
        vocab[char] = next(free)
    for index in range(max(vocab.values())):  # no holes in the id range
        if index not in vocab.values():
            vocab[f"<unused{index}>"] = index
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens(list(special))
    return tokenizer


def reference_wav(path: Path, seconds: float = 6.0, rate: int = 24000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(140 + 25 * np.sin(2 * np.pi * 0.4 * t)) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 8)) * (0.6 + 0.4 * np.sin(5 * t))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((0.2 * voice * 32767).astype("<i2").tobytes())


def apply_arch(out: Path, arch: dict[str, dict[str, Any]]) -> None:
    for name, overrides in arch.items():
        LLAMA_CONFIGS[name].update(overrides)
    (out / "voicebus-test-arch.json").write_text(json.dumps(arch, indent=2))


def build_standard(out: Path) -> Any:
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.tokenizers import EnTokenizer
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.tts import ChatterboxTTS

    apply_arch(out, STANDARD_ARCH)
    ve, t3, s3gen = VoiceEncoder(), T3(), S3Gen()
    save(ve, out / "ve.safetensors")
    save(t3, out / "t3_cfg.safetensors")
    save(s3gen, out / "s3gen.safetensors")
    special = {"[STOP]": 0, "[UNK]": 1, "[SPACE]": 2, "[START]": 255}
    char_tokenizer(special).save(str(out / "tokenizer.json"))
    tokenizer = EnTokenizer(str(out / "tokenizer.json"))
    return ChatterboxTTS(t3.eval(), s3gen.eval(), ve.eval(), tokenizer, "cpu")


def build_turbo(out: Path) -> Any:
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.t3.modules.t3_config import T3Config
    from chatterbox.models.voice_encoder import VoiceEncoder
    from chatterbox.tts_turbo import ChatterboxTurboTTS
    from transformers import PreTrainedTokenizerFast

    apply_arch(out, TURBO_ARCH)
    hp = T3Config(text_tokens_dict_size=50276)  # as ChatterboxTurboTTS.from_local sets it
    hp.llama_config_name = "GPT2_medium"
    hp.speech_tokens_dict_size = 6563
    hp.input_pos_emb = None
    hp.speech_cond_prompt_len = 375
    hp.use_perceiver_resampler = False
    hp.emotion_adv = False
    ve, t3, s3gen = VoiceEncoder(), T3(hp), S3Gen(meanflow=True)
    save(ve, out / "ve.safetensors")
    save(t3, out / "t3_turbo_v1.safetensors")
    save(s3gen, out / "s3gen_meanflow.safetensors")
    special = {"<|endoftext|>": 0, "[UNK]": 1}
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=char_tokenizer(special), eos_token="<|endoftext|>", unk_token="[UNK]"
    )
    tokenizer.save_pretrained(str(out))
    tokenizer.pad_token = tokenizer.eos_token
    del t3.tfmr.wte  # as from_local does
    return ChatterboxTurboTTS(t3.eval(), s3gen.eval(), ve.eval(), tokenizer, "cpu")


def build(out: Path, variant: str) -> None:
    torch.manual_seed(0)
    out.mkdir(parents=True, exist_ok=True)
    model = build_turbo(out) if variant == "chatterbox-turbo" else build_standard(out)
    with tempfile.TemporaryDirectory() as scratch:
        clip = Path(scratch) / "reference.wav"
        reference_wav(clip)
        with torch.inference_mode():
            model.prepare_conditionals(str(clip), exaggeration=0.5)
    model.conds.save(out / "conds.pt")


if __name__ == "__main__":
    build(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "chatterbox")
