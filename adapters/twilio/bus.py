"""The same live control on the bus: ``<prefix>.calls.<CallSid>.say`` / ``.hangup``.

The hub client's facade has no plain publish/subscribe, so this module (and
``TwilioContext.publish_event``) use the client's NATS connection directly.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from adapters.twilio.context import TwilioContext
from adapters.twilio.control import SayRequest

_LOGGER = logging.getLogger(__name__)


async def _reply(msg: Msg, body: dict[str, Any]) -> None:
    if msg.reply:
        await msg.respond(json.dumps(body).encode())


async def _command(context: TwilioContext, msg: Msg) -> None:
    target = context.subjects.parse(msg.subject)
    if target is None:
        return  # .events and other call subjects are not commands
    call_sid, command = target
    call = context.calls.get(call_sid)
    if call is None:
        await _reply(msg, {"error": {"message": f"no live call {call_sid}"}})
        return
    if command == "hangup":
        call.hangup()
        await _reply(msg, {"ok": True})
        return
    try:
        request = SayRequest.model_validate_json(msg.data or b"{}")
    except ValidationError as error:
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        await _reply(msg, {"error": {"message": f"bad say request: {message}"}})
        return
    await call.say(request.text, request.voice, request.interrupt, request.barge_in)
    await _reply(msg, {"ok": True})


async def subscribe(context: TwilioContext) -> Subscription:
    async def handler(msg: Msg) -> None:
        try:
            await _command(context, msg)
        except Exception:  # one bad command must not stop the subscription
            _LOGGER.exception("call command on %s failed", msg.subject)

    return await context.hub.subscribe(context.subjects.commands(), handler)
