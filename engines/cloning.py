"""What every voice-cloning engine shares: settings, a live view of the voice library, and a
bounded cache of conditioning (speaker latents) per reference clip.

Engines are synchronous objects and the runner gives them no NATS handle, so
:class:`LibraryView` runs its own small event loop and NATS connection in a daemon thread. It
re-reads the library's metadata every ``library_refresh_seconds`` (one ordered consumer per
read; robust across NATS restarts) and fetches clips by digest when a request needs one.
No heavy imports here: the torch-based engines import this module, not the other way round.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import numpy as np
from pydantic import Field

from hub.contract.errors import EngineUnavailableError, InvalidRequestError
from hub.engine.runner import RunnerSettings
from hub.store.library import DEFAULT_BUCKET, ClonedVoiceMeta, VoiceLibrary, read_wav

_LOGGER = logging.getLogger(__name__)

V = TypeVar("V")

Device = Literal["auto", "cuda", "cpu"]


class CloningSettings(RunnerSettings):
    """Settings of every engine that clones voices from the voice library."""

    voice_bucket: str = Field(
        default=DEFAULT_BUCKET,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="JetStream bucket of the voice library.",
    )
    library_refresh_seconds: float = Field(
        default=2.0, gt=0, description="How often the engine re-reads the voice library."
    )
    conditioning_cache_entries: int = Field(
        default=32, ge=0, description="Reference clips whose conditioning is kept in memory."
    )
    conditioning_cache_mb: float = Field(
        default=256.0, ge=0, description="Memory bound of the conditioning cache."
    )
    synthesis_seed: int | None = Field(
        default=None, description="Seed the sampler before every request (reproducible output)."
    )
    allow_audio_cache: bool | None = Field(
        default=None,
        description="Let clients cache this engine's audio (it samples: each call differs); "
        "unset: only when synthesis_seed makes it reproducible.",
    )

    @property
    def audio_cacheable(self) -> bool:
        """What the engine announces as ``capabilities.cacheable``."""
        return (
            self.allow_audio_cache
            if self.allow_audio_cache is not None
            else self.synthesis_seed is not None
        )


class ConditioningCache(Generic[V]):
    """A thread-safe LRU bounded by entry count and by bytes (``size_of`` measures a value).

    A value larger than the byte bound is returned but not kept.
    """

    def __init__(self, max_entries: int, max_bytes: int, size_of: Callable[[V], int]) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found[0]
            self.misses += 1
        value = make()  # outside the lock: computing latents takes a while
        self._store(key, value)
        return value

    def _store(self, key: Hashable, value: V) -> None:
        size = self._size_of(value)
        with self._lock:
            if key in self._items or size > self.max_bytes or self.max_entries == 0:
                return
            self._items[key] = (value, size)
            self.bytes += size
            while len(self._items) > self.max_entries or self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0


def tensor_bytes(value: Any, _depth: int = 0) -> int:
    """Bytes held by the tensors/arrays inside ``value`` (dicts, sequences, plain objects)."""
    if _depth > 6 or value is None:
        return 0
    if hasattr(value, "element_size") and hasattr(value, "nelement"):
        return int(value.element_size() * value.nelement())
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(tensor_bytes(item, _depth + 1) for item in value.values())
    if isinstance(value, list | tuple):
        return sum(tensor_bytes(item, _depth + 1) for item in value)
    if hasattr(value, "__dict__"):
        return sum(tensor_bytes(item, _depth + 1) for item in vars(value).values())
    return 0


class LibraryView:
    """The voice library as seen by one engine process (thread-safe, synchronous API)."""

    def __init__(self, settings: CloningSettings, name: str) -> None:
        self._settings = settings
        self._name = name
        self._voices: dict[str, ClonedVoiceMeta] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._library: VoiceLibrary | None = None
        self._nc: Any = None
        self._poller: Future[None] | None = None

    def start(self, timeout: float | None = None) -> LibraryView:
        """Connect and read the library once; raises ``ConnectionError`` if NATS is away."""
        self._thread.start()
        wait = timeout or self._settings.nats_connect_wait + 10
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(wait)
        self._poller = asyncio.run_coroutine_threadsafe(self._poll(), self._loop)
        return self

    async def _open(self) -> None:
        from hub.bus import connect

        self._nc = await connect(self._settings, f"voicebus-{self._name}-library")
        self._library = await VoiceLibrary.open(self._nc, self._settings.voice_bucket)
        await self._refresh()

    async def _refresh(self) -> None:
        assert self._library is not None
        voices = {meta.name: meta for meta in await self._library.list()}
        with self._lock:
            changed = voices.keys() != self._voices.keys()
            self._voices = voices
        if changed:
            _LOGGER.info("voice library: %d cloned voice(s)", len(voices))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._settings.library_refresh_seconds)
            try:
                await self._refresh()
            except Exception as error:  # NATS restarting: keep the last view, try again
                _LOGGER.warning("voice library not readable (%s); keeping the last list", error)

    def voices(self) -> list[ClonedVoiceMeta]:
        with self._lock:
            return sorted(self._voices.values(), key=lambda meta: meta.name)

    def get(self, name: str) -> ClonedVoiceMeta | None:
        with self._lock:
            return self._voices.get(name)

    def clip(self, meta: ClonedVoiceMeta, timeout: float = 30.0) -> tuple[np.ndarray, int]:
        """The reference clip of ``meta`` as float32 samples and its sample rate."""
        assert self._library is not None
        future = asyncio.run_coroutine_threadsafe(
            self._library.get_clip_by_digest(meta.digest), self._loop
        )
        try:
            data = future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise EngineUnavailableError(
                f"the voice library did not deliver the clip of {meta.name!r} in {timeout:.0f} s"
            ) from None
        except Exception as error:
            raise InvalidRequestError(
                f"the clip of voice {meta.name!r} cannot be read from the library ({error})",
                "re-add the voice with 'voicebus voices add'",
            ) from None
        return read_wav(data)

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        if self._poller is not None:
            self._poller.cancel()
        if self._nc is not None:
            asyncio.run_coroutine_threadsafe(self._nc.close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def language_code(wanted: str | None, supported: list[str], default: str) -> str:
    """Map ``en-US``/``en_us``/``EN`` to one of ``supported`` (exact first, then the family)."""
    if not wanted:
        return default
    code = wanted.replace("_", "-").lower()
    lowered = {lang.lower(): lang for lang in supported}
    if code in lowered:
        return lowered[code]
    family = code.split("-", 1)[0]
    if family in lowered:
        return lowered[family]
    for lang in supported:
        if lang.lower().split("-", 1)[0] == family:
            return lang
    raise InvalidRequestError(
        f"language {wanted!r} is not supported", f"supported: {', '.join(supported)}"
    )


def find_model_dir(model_dir: Path | None, model_id: str, required: list[str]) -> Path:
    """The checkpoint directory: ``model_dir`` if given, else ``model_id``'s snapshot in the
    Hugging Face cache, read offline (nothing is ever downloaded at run time)."""
    if model_dir is None:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        try:
            model_dir = Path(snapshot_download(model_id, local_files_only=True))
        except LocalEntryNotFoundError:
            raise FileNotFoundError(
                f"no checkpoint directory given and {model_id} is not in the Hugging Face cache; "
                "set the engine's model dir (see docs/engines.md) or fill the cache first"
            ) from None
    missing = [name for name in required if not (model_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"checkpoint directory {model_dir} lacks {', '.join(missing)}")
    return model_dir
