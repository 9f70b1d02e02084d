"""Device choice and memory figures for the torch-based engines (imports torch)."""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import torch

_LOGGER = logging.getLogger(__name__)


def resolve_device(choice: str) -> str:
    """``auto`` prefers CUDA; asking for ``cuda`` without one is a clear error."""
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but torch sees no CUDA GPU")
    return choice


def memory_bytes(device: str) -> int:
    """Memory the model uses: allocated CUDA memory on a GPU, else this process's RSS."""
    if device.startswith("cuda"):
        return int(torch.cuda.memory_allocated())
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def human_bytes(count: int) -> str:
    return f"{count / 2**30:.1f} GB" if count >= 2**30 else f"{count / 2**20:.0f} MB"


def seed_everything(seed: int | None) -> None:
    if seed is not None:
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)


def to_pcm(wav: Any) -> bytes:
    """A float waveform (tensor or array, any shape with one channel) as s16le bytes."""
    if isinstance(wav, torch.Tensor):
        wav = wav.detach().float().cpu().numpy()
    samples = np.nan_to_num(np.asarray(wav, dtype=np.float32).reshape(-1))
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
