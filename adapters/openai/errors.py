"""Every error answer of the adapter, in OpenAI's shape, from one exception handler.

OpenAI clients read ``{"error": {"message", "type", "param", "code"}}`` and map the status
code to a typed exception (400 ``BadRequestError``, 401 ``AuthenticationError``, 429
``RateLimitError``, 5xx ``InternalServerError`` ...). A key's refusals (``hub.keys``) are
401 (no key, unknown or revoked key), 403 (a valid key without the route's scope) and 429
(over the key's request or character limit, with ``Retry-After``); see docs/keys.md.
Routes raise typed exceptions (:class:`ApiError`, the hub's ``VoicebusError`` and
``AccessError`` subclasses) and :func:`handle_error` turns each into that shape; nothing
else writes an error body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from hub.contract.errors import VoicebusError, VoiceNotFoundError
from hub.contract.schemas import ErrorCode
from hub.keys import (
    AccessError,
    InvalidKeyError,
    KeysUnavailableError,
    MissingKeyError,
    RateLimitedError,
    ScopeError,
)

_LOGGER = logging.getLogger(__name__)

INVALID_REQUEST = "invalid_request_error"
AUTHENTICATION = "authentication_error"
RATE_LIMIT = "rate_limit_error"
SERVER_ERROR = "server_error"
UNAVAILABLE = "service_unavailable"


class ApiError(Exception):
    """An answer the adapter decided on: status, OpenAI error fields and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str = INVALID_REQUEST,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        body = {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def engine_unavailable(message: str, retry_after: int) -> ApiError:
    return ApiError(
        503,
        message,
        code=ErrorCode.ENGINE_UNAVAILABLE.value,
        type=UNAVAILABLE,
        headers={"Retry-After": str(retry_after)},
    )


@dataclass(frozen=True)
class _Mapping:
    status: int
    type: str
    param: str | None = None
    retry: bool = False


_BY_CODE: dict[ErrorCode, _Mapping] = {
    ErrorCode.VOICE_NOT_FOUND: _Mapping(400, INVALID_REQUEST, "voice"),
    ErrorCode.TEXT_TOO_LONG: _Mapping(400, INVALID_REQUEST, "input"),
    ErrorCode.INVALID_REQUEST: _Mapping(400, INVALID_REQUEST),
    ErrorCode.ENGINE_OVERLOADED: _Mapping(429, RATE_LIMIT, retry=True),
    ErrorCode.ENGINE_UNAVAILABLE: _Mapping(503, UNAVAILABLE, retry=True),
    ErrorCode.TIMEOUT: _Mapping(504, SERVER_ERROR),
    ErrorCode.CANCELLED: _Mapping(500, SERVER_ERROR),
    ErrorCode.INTERNAL: _Mapping(500, SERVER_ERROR),
}


def from_voicebus(error: VoicebusError, retry_after: int) -> ApiError:
    """The HTTP answer for a typed hub error."""
    mapping = _BY_CODE.get(error.code, _BY_CODE[ErrorCode.INTERNAL])
    message = error.message
    if isinstance(error, VoiceNotFoundError) and error.available:
        message = f"{message}. Available voices: {', '.join(error.available)}"
    elif error.suggestion:
        message = f"{message} ({error.suggestion})"
    headers = {"Retry-After": str(retry_after)} if mapping.retry else None
    return ApiError(
        mapping.status,
        message,
        code=error.code.value,
        param=mapping.param,
        type=mapping.type,
        headers=headers,
    )


# pydantic error type -> OpenAI-style error code
_VALIDATION_CODES = {
    "missing": "missing_required_parameter",
    "string_too_long": "string_above_max_length",
    "string_too_short": "string_below_min_length",
    "greater_than_equal": "decimal_below_min_value",
    "greater_than": "decimal_below_min_value",
    "less_than_equal": "decimal_above_max_value",
    "less_than": "decimal_above_max_value",
    "literal_error": "invalid_value",
    "enum": "invalid_value",
    "json_invalid": "invalid_json",
    "model_attributes_type": "invalid_json",
    "dict_type": "invalid_type",
    "float_type": "invalid_type",
}


def from_validation(error: RequestValidationError) -> ApiError:
    """The most telling validation problem, with ``param`` naming the offending field."""
    problems = list(error.errors())
    if not problems:
        return ApiError(400, "Invalid request.", code="invalid_request")
    first = _most_telling(problems)
    location = [str(part) for part in first.get("loc", ()) if not isinstance(part, int)]
    # ("body", "voice", "constrained-str") for a union member: the field is the first name
    # after "body"; the names of a union's branches are left out of the path.
    fields = [part for part in location[1:] if part not in _UNION_BRANCHES]
    param = fields[0] if fields else None
    path = ".".join(fields)
    kind = str(first.get("type", ""))
    if kind == "missing" and param:
        message = f"Missing required parameter: '{path}'."
    elif param:
        message = f"Invalid value for '{path}': {first.get('msg', 'invalid')}."
    else:
        message = f"Invalid request body: {first.get('msg', 'invalid')}."
    return ApiError(400, message, code=_VALIDATION_CODES.get(kind, "invalid_value"), param=param)


_UNION_BRANCHES = ("str", "constrained-str", "VoiceRef")


def _most_telling(problems: list[dict[str, Any]]) -> dict[str, Any]:
    """The first problem, unless a later one of the same field failed deeper inside a union
    branch whose shape the input has: ``voice: {"name": "x"}`` lacks ``voice.id``, which says
    more than "should be a valid string" from the string branch."""
    first = problems[0]
    where = tuple(first.get("loc", ()))
    for problem in problems[1:]:
        other = tuple(problem.get("loc", ()))
        if other[:2] == where[:2] and len(other) > len(where):
            return problem
    return first


_STATUS_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


def _status_code_name(status: int) -> str:
    """The documented code for an HTTP error raised by the framework (docs/openai.md)."""
    return _STATUS_CODES.get(status, "server_error" if status >= 500 else "invalid_request")


_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def from_access(error: AccessError, retry_after: int) -> ApiError:
    """401 for no key or a bad/revoked one, 403 for a missing scope, 429 over a limit."""
    if isinstance(error, MissingKeyError):
        message = "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'."
        return ApiError(401, message, code="missing_api_key", headers=_CHALLENGE)
    if isinstance(error, InvalidKeyError):
        revoked = "This API key has been revoked."
        message = revoked if error.revoked else "Incorrect API key provided."
        return ApiError(401, message, code="invalid_api_key", headers=_CHALLENGE)
    if isinstance(error, ScopeError):
        message = (
            "You have insufficient permissions for this operation. Missing scopes: "
            f"{' or '.join(error.needed)} (this key has: {', '.join(error.granted)})."
        )
        return ApiError(403, message, code="insufficient_permissions")
    if isinstance(error, RateLimitedError):
        return _rate_limited(error)
    message = "API keys cannot be checked right now; try again shortly."
    if isinstance(error, KeysUnavailableError):
        message = f"{message} ({error})"
    return ApiError(
        503,
        message,
        code="keys_unavailable",
        type=UNAVAILABLE,
        headers={"Retry-After": str(retry_after)},
    )


def _rate_limited(error: RateLimitedError) -> ApiError:
    """OpenAI's 429: type names the limit (``requests`` or ``characters``), Retry-After."""
    kind = error.kind
    headers = {
        "Retry-After": str(error.retry_after),
        f"x-ratelimit-limit-{kind}": str(error.spec.limit),
        f"x-ratelimit-remaining-{kind}": str(max(0, error.spec.limit - error.used)),
        f"x-ratelimit-reset-{kind}": f"{error.retry_after}s",
    }
    return ApiError(429, str(error), code="rate_limit_exceeded", type=kind, headers=headers)


_UNREADABLE_BODY = (
    "Invalid request body: it is not JSON in UTF-8 (or it nests too deeply, or a number in it "
    "has too many digits)."
)


def to_api_error(exc: Exception, retry_after: int) -> ApiError:
    """Classify any exception raised while answering a request."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, AccessError):
        return from_access(exc, retry_after)
    if isinstance(exc, VoicebusError):
        return from_voicebus(exc, retry_after)
    if isinstance(exc, RequestValidationError):
        return from_validation(exc)
    if isinstance(exc, HTTPException) and isinstance(exc.__cause__, ValueError | RecursionError):
        return ApiError(400, _UNREADABLE_BODY, code="invalid_json")  # FastAPI could not decode
    if isinstance(exc, HTTPException):
        kind = SERVER_ERROR if exc.status_code >= 500 else INVALID_REQUEST
        return ApiError(
            exc.status_code,
            str(exc.detail),
            code=_status_code_name(exc.status_code),
            type=kind,
            headers=exc.headers,
        )
    _LOGGER.exception("unexpected error answering a request", exc_info=exc)
    return ApiError(
        500,
        "Internal error in the voicebus adapter; see its log.",
        code="internal",
        type=SERVER_ERROR,
    )


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """The one exception handler: log, count and answer in OpenAI's error shape."""
    context = getattr(request.app.state, "voicebus", None)
    retry_after = context.settings.retry_after if context is not None else 5
    error = to_api_error(exc, retry_after)
    if error.status >= 500:
        _LOGGER.warning("%s %s -> %d %s", request.method, request.url.path, error.status, error)
    else:
        _LOGGER.info("%s %s -> %d %s", request.method, request.url.path, error.status, error)
    if context is not None:
        context.metrics.error(error.code or str(error.status), stage="request")
    return error.response()


def install(app: FastAPI) -> None:
    """Route every error class the app can raise to :func:`handle_error`."""
    kinds = (ApiError, AccessError, VoicebusError, RequestValidationError, HTTPException)
    for kind in (*kinds, Exception):
        app.add_exception_handler(kind, handle_error)  # type: ignore[arg-type]
