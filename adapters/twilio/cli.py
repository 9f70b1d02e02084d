"""``voicebus call +NUMBER "text"``: place a phone call that speaks the text.

Kept light: twilio is imported only when the command runs.
"""

from __future__ import annotations

import click


@click.command(name="call")
@click.argument("number")
@click.argument("text")
@click.option("--voice", default=None, help="Hub voice (default: twilio.voice).")
@click.option(
    "--hangup/--stay", default=None, help="Hang up once the text is spoken (default: yes)."
)
@click.option(
    "--barge-in/--no-barge-in",
    default=None,
    help="Caller speech or * interrupts the text (default: twilio.barge_in).",
)
def call(
    number: str, text: str, voice: str | None, hangup: bool | None, barge_in: bool | None
) -> None:
    """Call NUMBER through Twilio and speak TEXT with a voice on the bus."""
    from adapters.twilio.outbound import OutboundError, place_call
    from adapters.twilio.settings import TwilioSettings

    try:
        sid = place_call(TwilioSettings(), number, text, voice, hangup, barge_in)
    except OutboundError as error:
        raise click.ClickException(str(error)) from error
    click.echo(sid)
