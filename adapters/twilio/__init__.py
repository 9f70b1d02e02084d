"""Twilio adapter: phone calls over Media Streams (``<Connect><Stream>``) that hear any voice
on the bus, live, with barge-in; see docs/twilio.md.

Light on purpose: the server and the twilio package load only when the adapter starts.
"""

from hub.plugins import AdapterPlugin

PLUGIN = AdapterPlugin(
    name="twilio",
    settings="adapters.twilio.settings:TwilioSettings",
    factory="adapters.twilio.app:TwilioAdapter",
    description="Twilio phone calls (webhook + Media Streams), default 127.0.0.1:8765",
)
