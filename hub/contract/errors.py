"""Typed errors raised by the hub client; each carries a stable bus error code."""

from __future__ import annotations

from hub.contract.schemas import ErrorCode, StreamError


class VoicebusError(Exception):
    """Base class: ``code`` is stable, ``message`` is for people, ``suggestion`` helps them."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:
        if self.suggestion:
            return f"{self.message} ({self.suggestion})"
        return self.message


class VoiceNotFoundError(VoicebusError):
    code = ErrorCode.VOICE_NOT_FOUND

    def __init__(
        self,
        voice: str,
        available: list[str],
        message: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        shown = ", ".join(sorted(available)) or "none (is an engine running?)"
        super().__init__(
            message or f"Unknown voice {voice!r}", suggestion or f"available voices: {shown}"
        )
        self.voice = voice
        self.available = sorted(available)


class TextTooLongError(VoicebusError):
    code = ErrorCode.TEXT_TOO_LONG


class InvalidRequestError(VoicebusError):
    code = ErrorCode.INVALID_REQUEST


class EngineOverloadedError(VoicebusError):
    code = ErrorCode.ENGINE_OVERLOADED


class EngineUnavailableError(VoicebusError):
    code = ErrorCode.ENGINE_UNAVAILABLE


class SynthesisTimeoutError(VoicebusError):
    code = ErrorCode.TIMEOUT


class CancelledError(VoicebusError):
    code = ErrorCode.CANCELLED


class InternalError(VoicebusError):
    code = ErrorCode.INTERNAL


_BY_CODE: dict[ErrorCode, type[VoicebusError]] = {
    cls.code: cls
    for cls in (
        TextTooLongError,
        InvalidRequestError,
        EngineOverloadedError,
        EngineUnavailableError,
        SynthesisTimeoutError,
        CancelledError,
        InternalError,
    )
}


def error_from_stream(error: StreamError) -> VoicebusError:
    """Turn an ``error`` message from an engine into the matching typed exception."""
    if error.code is ErrorCode.VOICE_NOT_FOUND:
        return VoiceNotFoundError("", [], error.message, error.suggestion)
    cls = _BY_CODE.get(error.code, InternalError)
    return cls(error.message, error.suggestion)
