"""Encoding s16le PCM of one known rate: :class:`StreamEncoder` and :func:`encode_all`.

Both are thin fronts on :class:`~hub.audio.output.AudioConverter` for callers that have
a single input rate and want bytes rather than frames (the CLI, tests, stored clips).
"""

from __future__ import annotations

import logging

from hub.audio.formats import MULAW_FORMAT, content_type_for, normalize_format
from hub.audio.output import AudioConverter
from hub.audio.pcm import check_rate
from hub.audio.spec import AudioSpec

_LOGGER = logging.getLogger(__name__)


class StreamEncoder:
    """Incremental encoder: s16le PCM in, bytes of the container/format out, as it streams.

    Keep one per stream. ``encode`` returns the bytes produced so far (possibly ``b""``,
    the first output also carries the container header); ``flush`` ends the stream and
    returns the rest, including any trailer. Concatenating every returned chunk gives a
    valid file.

    ``channels`` is the channel count of the input and of the output (mu-law is always
    mono). ``output_rate`` is snapped to a rate the format supports; read it back from
    :attr:`output_rate`.
    """

    def __init__(
        self,
        fmt: str,
        input_rate: int,
        *,
        output_rate: int | None = None,
        channels: int = 1,
        bitrate: int | None = None,
    ) -> None:
        name = normalize_format(fmt)
        self._input_rate = check_rate(input_rate, "input_rate")
        spec = AudioSpec(
            name,
            rate=output_rate,
            channels=1 if name == MULAW_FORMAT else channels,
            bitrate=bitrate,
        )
        self._converter = AudioConverter.for_spec(spec, input_rate, input_channels=channels)
        self._fmt = name
        _LOGGER.debug(
            "Encoder %s: %d Hz in, %d Hz out, %d channel(s)",
            name,
            input_rate,
            self.output_rate,
            channels,
        )

    @property
    def format(self) -> str:
        return self._fmt

    @property
    def content_type(self) -> str:
        return content_type_for(self._fmt)

    @property
    def output_rate(self) -> int:
        """Sample rate of the encoded audio."""
        return self._converter.output.rate

    def encode(self, pcm: bytes) -> bytes:
        """Feed s16le PCM; returns the encoded bytes available so far (may be ``b""``)."""
        if self._converter.done:
            raise RuntimeError("StreamEncoder.encode() called after flush()")
        return b"".join(self._converter.convert(pcm, self._input_rate))

    def flush(self) -> bytes:
        """Finish the stream: remaining frames plus trailer. Further calls return ``b""``."""
        return b"".join(self._converter.flush())

    def close(self) -> None:
        """Abandon the stream (e.g. the client went away), discarding pending output."""
        self._converter.close()


def encode_all(
    pcm: bytes,
    fmt: str,
    input_rate: int,
    *,
    output_rate: int | None = None,
    channels: int = 1,
    bitrate: int | None = None,
) -> bytes:
    """Encode a whole s16le buffer in one go (same options as :class:`StreamEncoder`)."""
    encoder = StreamEncoder(
        fmt, input_rate, output_rate=output_rate, channels=channels, bitrate=bitrate
    )
    return encoder.encode(pcm) + encoder.flush()
