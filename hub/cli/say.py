"""``voicebus say``: text to an audio file through the bus."""

from __future__ import annotations

import contextlib
import wave
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from hub.audio import AudioSpec
from hub.cache import cache_state
from hub.client import ClientSettings, HubClient
from hub.client.stream import SynthesisStream

EXTENSIONS = {
    ".wav": "wav",
    ".mp3": "mp3",
    ".opus": "opus",
    ".ogg": "opus",
    ".aac": "aac",
    ".flac": "flac",
    ".pcm": "pcm",
    ".raw": "pcm",
}


def format_for(path: Path) -> str:
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise ValueError(f"cannot tell the audio format of {path.name}; use one of {known}")
    return fmt


async def say(
    text: str,
    output: Path,
    *,
    nats_url: str | None = None,
    voice: str | None = None,
    progress: bool = False,
    **options: Any,
) -> str:
    fmt = format_for(output)
    settings = ClientSettings(**({"nats_url": nats_url} if nats_url else {}))
    async with await HubClient.connect(settings, "voicebus-say") as hub:
        # WAV is written here with exact sizes (a file can seek); the rest the stream encodes.
        spec = None if fmt == "wav" else AudioSpec(fmt)
        stream = await hub.open(text, voice, output=spec, **options)
        cached = await cache_state(stream)
        partial = output.with_name(output.name + ".part")
        try:
            async with stream:
                await _write(stream, fmt, partial, progress)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    rtf = stream.synthesis_seconds / stream.audio_seconds if stream.audio_seconds else 0.0
    return (
        f"{stream.audio_seconds:.1f} s of audio, voice {stream.voice} on {stream.engine}, "
        f"{len(stream.sentences)} sentence(s) (cache {cached}), real-time factor {rtf:.2f}"
    )


async def _write(stream: SynthesisStream, fmt: str, path: Path, progress: bool) -> None:
    bar = tqdm(total=len(stream.sentences), unit="sentence", disable=not progress, leave=False)
    with contextlib.closing(bar), path.open("wb") as file:
        sink: _WavSink | BinaryIO = _WavSink(file, stream.sample_rate) if fmt == "wav" else file
        async for chunk in stream:
            sink.write(chunk)
            bar.update(stream.sentences_done - bar.n)
        if isinstance(sink, _WavSink):
            sink.close()
        bar.update(stream.sentences_done - bar.n)


class _WavSink:
    """A WAV file with exact sizes (the file is seekable, unlike a network stream)."""

    def __init__(self, file: BinaryIO, rate: int) -> None:
        self._wav = wave.open(file, "wb")  # noqa: SIM115 - closed in close()
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(rate)

    def write(self, pcm: bytes) -> None:
        self._wav.writeframes(pcm)

    def close(self) -> None:
        self._wav.close()
