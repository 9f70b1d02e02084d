"""Whether a worker takes a request: the checks before it is queued, as typed errors."""

from __future__ import annotations

from pydantic import ValidationError

from hub.contract import errors
from hub.contract.schemas import SynthesisRequest
from hub.engine.lifecycle import ModelLifecycle
from hub.engine.settings import RunnerSettings


def check_admissible(
    request: SynthesisRequest,
    settings: RunnerSettings,
    lifecycle: ModelLifecycle,
    engine: str,
    stopping: bool,
    queued: int,
) -> None:
    """Raise the ``VoicebusError`` that explains why ``request`` cannot be served here."""
    if stopping:
        raise errors.EngineUnavailableError(f"engine {engine} is shutting down")
    if not lifecycle.accepts_requests():
        raise errors.EngineUnavailableError(
            f"engine {engine} is {lifecycle.state}",
            f"load it with 'voicebus engines load {engine}'",
        )
    if not any(ch.isalnum() for ch in request.text):
        raise errors.InvalidRequestError("text is empty", "send text with words in it")
    limit = settings.max_request_chars
    if len(request.text) > limit:
        raise errors.TextTooLongError(
            f"text has {len(request.text)} characters; one request takes at most {limit}",
            "split long text into sentences (the hub client does this for you)",
        )
    if request.expired():
        raise errors.SynthesisTimeoutError("request arrived after its deadline")
    if queued >= settings.max_queue:
        raise errors.EngineOverloadedError(
            f"engine {engine} has {queued} requests queued", "retry later or add workers"
        )


def parse_request(data: bytes) -> SynthesisRequest:
    """The request in ``data``, or ``InvalidRequestError`` naming each bad field."""
    try:
        return SynthesisRequest.model_validate_json(data)
    except ValidationError as error:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise errors.InvalidRequestError(detail) from None
