"""``voicebus keys create|list|revoke``: API keys with scopes and limits, on the bus.

Keys live hashed in the JetStream KV bucket ``<prefix>-keys`` (docs/keys.md); every adapter
on every host sees a new or revoked key within a second. The secret is printed once, on
stdout alone (so ``KEY=$(voicebus keys create ...)`` works); everything else goes to stderr.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from hub.cli.common import NATS_HELP, nats_overrides, one_line_errors, run
from hub.keys.model import KeyRecord, Scope, parse_scopes
from hub.keys.spec import RateSpec, RateSpecError
from hub.settings import NatsOptions, VoicebusSettings

if TYPE_CHECKING:
    from hub.keys.store import KeyStore

T = TypeVar("T")


class KeysSettings(VoicebusSettings, NatsOptions):
    """Where the keys live: the NATS options (the subject prefix names the bucket)."""


def _with_store(nats_url: str | None, action: Callable[[KeyStore], Awaitable[T]]) -> T:
    from hub.bus import connect
    from hub.keys.errors import AccessError
    from hub.keys.store import KeyStore

    async def main() -> T:
        settings = KeysSettings(**nats_overrides(nats_url))
        nc = await connect(settings, "voicebus-keys")
        try:
            return await action(await KeyStore.open(nc, settings.subject_prefix))
        finally:
            await nc.drain()

    try:
        return run(main())
    except AccessError as error:  # e.g. no JetStream on this server
        raise click.ClickException(str(error)) from None


def _rate(_: click.Context, param: click.Parameter, value: str | None) -> RateSpec | None:
    if value is None:
        return None
    try:
        return RateSpec.parse(value)
    except RateSpecError as error:
        raise click.BadParameter(str(error), param=param) from None


def _describe(record: KeyRecord) -> str:
    created = datetime.datetime.fromtimestamp(record.created_at, datetime.UTC)
    status = "revoked" if record.revoked else "live"
    rate = record.rate.describe() if record.rate else "-"
    chars = record.chars.describe() if record.chars else "-"
    return (
        f"{record.id}  {record.name:24} {','.join(record.scopes):18} requests={rate:10} "
        f"chars={chars:12} {created:%Y-%m-%d %H:%M}Z  {status}"
    )


@click.group()
def keys() -> None:
    """API keys for the REST and Twilio adapters: scopes, limits, revocation.

    \b
    Scopes: speak (speech, models, voice lists, jobs), voices (the voice library),
    calls (Twilio call control), admin (everything, plus engines, keys and cache).
    Static api_keys in an adapter's settings still work, as all-powerful keys.
    """


@keys.command("create", short_help="Create a key; prints its secret once.")
@click.option("--name", required=True, help="A unique name: letters, digits, '.', '_', '-'.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice([scope.value for scope in Scope], case_sensitive=False),
    help="What the key may do (repeatable); admin implies every scope.",
)
@click.option("--rate", callback=_rate, help="Request limit, e.g. 60/min, 1000/day, 3/2s [none].")
@click.option(
    "--chars", callback=_rate, help="Character limit on text spoken, e.g. 20000/day [none]."
)
@click.option("--nats-url", help=NATS_HELP)
@one_line_errors
def create_command(
    name: str,
    scopes: tuple[str, ...],
    rate: RateSpec | None,
    chars: RateSpec | None,
    nats_url: str | None,
) -> None:
    """Create a key and print its secret (shown this once only)."""
    granted = parse_scopes(scopes)
    record, token = _with_store(nats_url, lambda store: store.create(name, granted, rate, chars))
    click.echo(f"created {_describe(record)}", err=True)
    click.echo("the secret below is shown only now; store it safely:", err=True)
    click.echo(token)


@keys.command("list", short_help="List every key, live and revoked (never a secret).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (never the secrets).")
@click.option("--nats-url", help=NATS_HELP)
@one_line_errors
def list_command(as_json: bool, nats_url: str | None) -> None:
    """List every key, live and revoked (secrets are never stored, so never shown)."""
    records = _with_store(nats_url, lambda store: store.list())
    if as_json:
        click.echo(json.dumps([record.public() for record in records], indent=2))
        return
    if not records:
        click.echo("no API keys yet (create one with 'voicebus keys create')", err=True)
    for record in records:
        click.echo(_describe(record))


@keys.command("revoke", short_help="Revoke a key by name or id.")
@click.argument("name_or_id")
@click.option("--nats-url", help=NATS_HELP)
@one_line_errors
def revoke_command(name_or_id: str, nats_url: str | None) -> None:
    """Revoke the key NAME_OR_ID; every adapter refuses it within a second."""
    record: Any = _with_store(nats_url, lambda store: store.revoke(name_or_id))
    click.echo(f"revoked {_describe(record)}")
