"""Exactly what ``ChatterboxTTS.from_local`` / ``ChatterboxTurboTTS.from_local`` read.

Chatterbox: ``ve.safetensors``, ``t3_cfg.safetensors``, ``s3gen.safetensors`` (the speech
tokenizer's weights are inside), ``tokenizer.json``, and the built-in voice ``conds.pt`` when
present. Turbo: ``ve.safetensors``, ``t3_turbo_v1.safetensors``,
``s3gen_meanflow.safetensors``, the GPT-2 tokenizer files ``AutoTokenizer.from_pretrained``
reads from the directory, and ``conds.pt``.
"""

REPO_ID = "ResembleAI/chatterbox"
REQUIRED_FILES = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json")
OPTIONAL_FILES = ("conds.pt",)

TURBO_REPO_ID = "ResembleAI/chatterbox-turbo"
TURBO_REQUIRED_FILES = ("ve.safetensors", "t3_turbo_v1.safetensors", "s3gen_meanflow.safetensors")
TURBO_OPTIONAL_FILES = (
    "conds.pt",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
    "special_tokens_map.json",
)
