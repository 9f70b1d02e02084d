"""The XTTS v2 engine: cloned voices from the voice library, built-in studio speakers, and
sub-sentence streaming with ``Xtts.inference_stream``.

Loads ``config.json`` + ``model.pth`` + ``vocab.json`` (+ ``speakers_xtts.pth``) from a local
directory or from the model store, offline (``voicebus models pull xtts`` fills it; with
``auto_pull`` the engine pulls them itself). Conditioning (GPT latents and speaker
embedding) is computed once per reference clip and kept in a bounded LRU.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import torch
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.models.xtts import Xtts
except ImportError as error:  # the main venv has no torch, by design
    raise ImportError(
        f"the xtts engine needs its own environment ({error}); build it with "
        "'make engine-env-xtts' and run '.venv-xtts/bin/voicebus engine xtts'"
    ) from error

from engines.cloning import ConditioningCache, LibraryView, language_code
from engines.cloning import tensor_bytes as cache_bytes
from engines.torch_device import (
    human_bytes,
    memory_bytes,
    resolve_device,
    seed_everything,
    to_pcm,
)
from engines.xtts.settings import XttsSettings
from hub.contract.errors import InvalidRequestError, TextTooLongError, VoiceNotFoundError
from hub.contract.schemas import EngineCapabilities, SynthesisRequest, VoiceInfo

_LOGGER = logging.getLogger(__name__)

STUDIO_VOICE = "xtts-studio"
"""The voice holding the checkpoint's built-in speakers (``speakers_xtts.pth``), if any."""


@dataclass(frozen=True)
class Conditioning:
    gpt_cond_latent: torch.Tensor
    speaker_embedding: torch.Tensor


def load_xtts(model_dir: Path, device: str) -> tuple[XttsConfig, Xtts]:
    """The production loader: config, model and tokenizer from ``model_dir`` (strict)."""
    config = XttsConfig()
    config.load_json(str(model_dir / "config.json"))
    model = Xtts(config)
    model.load_checkpoint(config, checkpoint_dir=str(model_dir), eval=True)
    return config, model.to(device)


class XttsEngine:
    name = "xtts"
    capabilities = EngineCapabilities(streaming=True, cloning=True, instructions=False, speed=True)

    def __init__(
        self,
        settings: XttsSettings,
        library: LibraryView | None = None,
        *,
        weights: tuple[Path, str] | None = None,
    ) -> None:
        """``weights``: (checkpoint directory, commit) already located (``engines.xtts.build``)."""
        self.settings = settings
        self.capabilities = self.capabilities.model_copy(
            update={"cacheable": settings.audio_cacheable}  # it samples: cached only by choice
        )
        self.device = resolve_device(settings.xtts_device)
        model_dir, self.revision = weights or settings.weights_location(self.name)
        self.model_id = (
            settings.xtts_model_id if settings.xtts_model_dir is None else str(model_dir)
        )
        self.version = importlib.metadata.version("coqui-tts")
        self.config, self.model = load_xtts(model_dir, self.device)
        self.sample_rate = int(self.config.model_args.output_sample_rate)
        self.languages: list[str] = list(self.config.languages)
        manager = self.model.speaker_manager
        self._studio: dict[str, dict[str, Any]] = dict(manager.speakers) if manager else {}
        max_bytes = int(settings.conditioning_cache_mb * 2**20)
        self._cache: ConditioningCache[Conditioning] = ConditioningCache(
            settings.conditioning_cache_entries, max_bytes, cache_bytes
        )
        self._library = library or LibraryView(settings, "xtts").start()
        _LOGGER.info(
            "xtts %s loaded from %s on %s (%s in use), %d studio speaker(s), languages: %s",
            self.version,
            model_dir,
            self.device,
            human_bytes(self.memory_bytes()),
            len(self._studio),
            ", ".join(self.languages),
        )

    def memory_bytes(self) -> int:
        return memory_bytes(self.device)

    # ---- voices ----------------------------------------------------------------------

    def voices(self) -> list[VoiceInfo]:
        where = f"{self.model_id} on {self.device}"
        voices = [
            VoiceInfo(
                name=meta.name,
                languages=self.languages,
                description=f"XTTS v2 clone of a {meta.duration_seconds:.0f} s clip ({where})",
                sample_rate=self.sample_rate,
                clones=True,
            )
            for meta in self._library.voices()
        ]
        if self._studio:
            voices.append(
                VoiceInfo(
                    name=STUDIO_VOICE,
                    languages=self.languages,
                    speakers=sorted(self._studio),
                    description=f"XTTS v2 built-in studio speakers ({where})",
                    sample_rate=self.sample_rate,
                )
            )
        return voices

    def _conditioning(self, request: SynthesisRequest) -> tuple[Conditioning, str | None]:
        """The request's conditioning and the language its voice was recorded in."""
        if request.voice == STUDIO_VOICE and self._studio:
            speaker = request.speaker or sorted(self._studio)[0]
            if speaker not in self._studio:
                raise InvalidRequestError(
                    f"voice {STUDIO_VOICE} has no speaker {speaker!r}",
                    f"speakers: {', '.join(sorted(self._studio))}",
                )
            latents = self._studio[speaker]
            return Conditioning(latents["gpt_cond_latent"], latents["speaker_embedding"]), None
        meta = self._library.get(request.voice)
        if meta is None:
            raise VoiceNotFoundError(request.voice, [voice.name for voice in self.voices()])
        made = self._cache.get_or_make(meta.digest, lambda: self._clone(meta))
        return made, meta.language

    def _clone(self, meta: Any) -> Conditioning:
        samples, rate = self._library.clip(meta)
        audio = torch.from_numpy(samples)[None, : rate * int(self.config.max_ref_len)]
        if self.config.sound_norm_refs:
            audio = audio / audio.abs().max() * 0.75
        with torch.inference_mode():
            embedding = self.model.get_speaker_embedding(audio, rate)
            latent = self.model.get_gpt_cond_latents(
                audio,
                rate,
                length=int(self.config.gpt_cond_len),
                chunk_length=int(self.config.gpt_cond_chunk_len),
            )
        _LOGGER.info("conditioning for %s computed (%d cached)", meta.name, len(self._cache) + 1)
        return Conditioning(latent, embedding)

    # ---- synthesis -------------------------------------------------------------------

    def synthesize(self, request: SynthesisRequest) -> Iterator[bytes]:
        conditioning, voice_language = self._conditioning(request)
        default = "en" if "en" in self.languages else self.languages[0]
        language = language_code(request.language or voice_language, self.languages, default)
        self._check_length(request.text, language)
        seed_everything(self.settings.synthesis_seed)
        config = self.config
        chunks = self.model.inference_stream(
            request.text,
            language,
            conditioning.gpt_cond_latent,
            conditioning.speaker_embedding,
            stream_chunk_size=self.settings.xtts_stream_chunk_size,
            temperature=config.temperature,
            length_penalty=config.length_penalty,
            repetition_penalty=config.repetition_penalty,
            top_k=config.top_k,
            top_p=config.top_p,
            speed=request.speed,
            enable_text_splitting=False,
        )
        for chunk in chunks:
            yield to_pcm(chunk)

    def _check_length(self, text: str, language: str) -> None:
        tokens = len(self.model.tokenizer.encode(text, lang=language))
        limit = int(self.config.model_args.gpt_max_text_tokens)
        if tokens >= limit:
            raise TextTooLongError(
                f"the text is {tokens} tokens long; XTTS takes at most {limit - 1} per request",
                "split it into sentences (the hub client does this for you)",
            )

    def close(self) -> None:
        self._library.close()
