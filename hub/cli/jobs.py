"""``voicebus jobs list | show | cancel``: durable jobs on the bus (submit one with
``voicebus say -f book.txt -o book.mp3 --job``)."""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from hub.cli.common import NATS_HELP, nats_overrides, one_line_errors, run

if TYPE_CHECKING:
    from hub.jobs import Jobs

T = TypeVar("T")

_JOBS_HELP = (
    "Durable jobs: long texts spoken sentence by sentence by the job runners (in the REST "
    "adapter of 'voicebus up'), kept in JetStream through any crash. Submit one with "
    "'voicebus say -f book.txt -o book.mp3 --job' or POST /v1/audio/jobs. "
    "Settings: VOICEBUS_JOBS_* or the [jobs] table (see docs/jobs.md)."
)


@contextlib.asynccontextmanager
async def connected_jobs(nats_url: str | None) -> AsyncIterator[Jobs]:
    """``Jobs`` on a fresh client connection (settings from VOICEBUS_* and the config)."""
    from hub.client import ClientSettings, HubClient
    from hub.jobs import Jobs, JobSettings

    settings = ClientSettings(**nats_overrides(nats_url))
    async with await HubClient.connect(settings, "voicebus-jobs") as hub:
        yield Jobs(hub, JobSettings())


def _with_jobs(nats_url: str | None, action: Callable[[Jobs], Awaitable[T]]) -> T:
    from hub.jobs import JobFinishedError, JobNotFoundError

    async def main() -> T:
        async with connected_jobs(nats_url) as jobs:
            return await action(jobs)

    try:
        return run(main())
    except (JobNotFoundError, JobFinishedError) as error:
        raise click.ClickException(str(error.args[0])) from None


def _when(unix: int) -> str:
    return datetime.datetime.fromtimestamp(unix).strftime("%Y-%m-%d %H:%M:%S")


def _line(job: dict[str, object]) -> str:
    progress = job["progress"]
    assert isinstance(progress, dict)
    done = f"{progress['done']}/{progress['total']}"
    error = f"  ({job['error']})" if job["error"] else ""
    return (
        f"{job['id']}  {job['status']:9} {done:>9} sentences  {job['voice']:16} "
        f"{job['response_format']:5} {_when(int(str(job['created_at'])))}{error}"
    )


@click.group(help=_JOBS_HELP)
def jobs() -> None:
    pass


@jobs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--nats-url", help=NATS_HELP)
@one_line_errors
def list_jobs(as_json: bool, nats_url: str | None) -> None:
    """Every job kept (newest first): id, status, progress, voice, format, time."""

    async def listed(service: Jobs) -> list[dict[str, object]]:
        return [record.public() for record in await service.list()]

    found = _with_jobs(nats_url, listed)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo("no jobs", err=True)
    for job in found:
        click.echo(_line(job))


@jobs.command()
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--nats-url", help=NATS_HELP)
@one_line_errors
def show(job_id: str, as_json: bool, nats_url: str | None) -> None:
    """One job's status and progress."""

    async def shown(service: Jobs) -> dict[str, object]:
        return (await service.get(job_id)).public()

    job = _with_jobs(nats_url, shown)
    click.echo(json.dumps(job, indent=2) if as_json else _line(job))


@jobs.command()
@click.argument("job_id")
@click.option("--nats-url", help=NATS_HELP)
@one_line_errors
def cancel(job_id: str, nats_url: str | None) -> None:
    """Cancel a job: its runner stops and the engines drop its sentences."""

    async def cancelled(service: Jobs) -> dict[str, object]:
        return (await service.cancel(job_id)).public()

    click.echo(_line(_with_jobs(nats_url, cancelled)))
