"""``POST /twilio/voice``: the incoming-call webhook, signed by Twilio, answered with TwiML."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from adapters.twilio import tokens, twiml
from adapters.twilio.context import TwilioContext
from adapters.twilio.signature import requested_url

_LOGGER = logging.getLogger(__name__)

router = APIRouter()


VOICE_PATH = "/twilio/voice"


def _public_base(request: Request, context: TwilioContext) -> str:
    """The public URL the webhook was called at, without this route's own path: scheme, host
    and any path prefix a proxy serves the adapter under (``https://h/vb``)."""
    parts = urlsplit(requested_url(request, context.settings))
    path = parts.path.removesuffix(VOICE_PATH)
    return f"{parts.scheme}://{parts.netloc}{path}"


@router.post(VOICE_PATH)
async def voice(request: Request) -> Response:
    context: TwilioContext = request.app.state.twilio
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    if not context.signatures.valid(request, params):
        return Response("invalid signature\n", status_code=403, media_type="text/plain")
    settings = context.settings
    token = tokens.mint(settings.auth_token.get_secret_value(), settings.token_ttl)
    xml = twiml.connect_stream(_public_base(request, context), token, barge_in=settings.barge_in)
    _LOGGER.info("answered call %s", params.get("CallSid", "?"))
    return Response(xml, media_type="text/xml")
