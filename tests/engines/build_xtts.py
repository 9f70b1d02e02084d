"""Build a tiny, randomly initialised XTTS v2 checkpoint in the layout the engine loads.

Run with the XTTS environment's Python: ``.venv-xtts/bin/python build_xtts.py OUT_DIR``.
Writes config.json, model.pth ({"model": state_dict}), vocab.json (a character-level
``tokenizers`` file) and speakers_xtts.pth (one built-in speaker). The GPT is 2 layers x 256
(the real one is 30 x 1024); everything else keeps its real shape.
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from tokenizers.models import BPE
from TTS.tts.configs.xtts_config import XttsConfig
from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
from TTS.tts.models.xtts import Xtts

SPECIAL = ["[STOP]", "[UNK]", "[SPACE]", "[START]"]
WIDTH = 256


def write_vocab(path: Path, languages: list[str]) -> None:
    special = SPECIAL + [f"[{lang}]" for lang in languages]
    chars = sorted(set(string.ascii_lowercase + string.digits + string.punctuation + "äöüéèàç"))
    vocab = {token: index for index, token in enumerate(special + chars)}
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens(special)
    tokenizer.save(str(path))


def tiny_config(languages: list[str]) -> XttsConfig:
    config = XttsConfig()
    args = config.model_args
    args.gpt_layers = 2
    args.gpt_n_model_channels = WIDTH
    args.gpt_n_heads = 4
    args.decoder_input_dim = WIDTH  # must equal the GPT width
    args.gpt_use_perceiver_resampler = True  # as in XTTS v2
    args.gpt_use_masking_gt_prompt_approach = True
    config.languages = languages
    return config


def reference_clip(seconds: float = 6.0, rate: int = 24000) -> torch.Tensor:
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(130 + 20 * np.sin(2 * np.pi * 0.5 * t)) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 8)) * (0.6 + 0.4 * np.sin(6 * t))
    return torch.from_numpy((0.2 * voice).astype(np.float32))[None]


def build(out: Path) -> None:
    torch.manual_seed(0)
    out.mkdir(parents=True, exist_ok=True)
    config = tiny_config(list(XttsConfig().languages))
    write_vocab(out / "vocab.json", config.languages)
    model = Xtts(config)
    model.tokenizer = VoiceBpeTokenizer(vocab_file=str(out / "vocab.json"))
    model.init_models()
    torch.save({"model": model.state_dict()}, out / "model.pth")
    config.save_json(str(out / "config.json"))
    model.eval()
    with torch.inference_mode():
        audio = reference_clip()
        speaker = {
            "gpt_cond_latent": model.get_gpt_cond_latents(audio, 24000, length=12, chunk_length=4),
            "speaker_embedding": model.get_speaker_embedding(audio, 24000),
        }
    torch.save({"Test Speaker": speaker}, out / "speakers_xtts.pth")


if __name__ == "__main__":
    build(Path(sys.argv[1]))
