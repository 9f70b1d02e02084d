"""``voicebus say --job``: submit the text as a durable job, follow it with a progress bar,
then write the file from the job's stored audio. Interrupted, the job goes on; fetch it
later with ``voicebus jobs show ID`` or ``GET /v1/audio/jobs/ID/content``."""

from __future__ import annotations

import asyncio
import contextlib
import wave
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from hub.audio import AudioSpec
from hub.cli.common import nats_overrides
from hub.cli.say import format_for
from hub.client import ClientSettings, HubClient
from hub.jobs import Jobs, JobSettings, JobSpec, JobStatus, encoded_content

_QUEUED_HINT_SECONDS = 5.0


def _say_queued() -> None:
    click.echo(
        "\nstill queued: no job runner has taken it yet (the REST adapter runs jobs: "
        "'voicebus up' or 'voicebus adapter openai'); Ctrl-C leaves the job queued",
        err=True,
    )


async def say_job(
    text: str,
    output: Path,
    *,
    nats_url: str | None = None,
    voice: str | None = None,
    progress: bool = True,
    **options: Any,
) -> str:
    fmt = format_for(output)
    settings = ClientSettings(**nats_overrides(nats_url))
    async with await HubClient.connect(settings, "voicebus-say-job") as hub:
        jobs = Jobs(hub, JobSettings())
        route = await hub.wait_for_voice(voice, language=options.get("language"))
        spec = JobSpec(voice=route.voice.name, response_format=fmt, **options)
        submitted = await jobs.submit([text], spec, requested_voice=voice or route.voice.name)
        click.echo(f"job {submitted.id}: {submitted.progress.total} sentence(s)", err=True)
        record = submitted
        bar = tqdm(total=submitted.progress.total, unit="sentence", disable=not progress)
        hint = asyncio.get_running_loop().call_later(_QUEUED_HINT_SECONDS, _say_queued)
        with contextlib.closing(bar):
            async for record in jobs.follow(submitted.id):
                if record.status is not JobStatus.QUEUED:
                    hint.cancel()
                bar.update(record.progress.done - bar.n)
        hint.cancel()
        if record.status is not JobStatus.COMPLETED:
            raise ValueError(f"job {record.id} {record.status.value}: {record.error or ''}")
        await _write(jobs, record.id, record.progress.total, fmt, output)
    return f"job {record.id}, {record.progress.total} sentence(s)"


async def _write(jobs: Jobs, job_id: str, total: int, fmt: str, output: Path) -> None:
    store = await jobs.store()
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("wb") as file:
            spec = AudioSpec("pcm" if fmt == "wav" else fmt)
            content = encoded_content(store, job_id, total, spec)
            if fmt == "wav":  # a file, so the header can have exact sizes
                with wave.open(file, "wb") as wav:
                    wav.setnchannels(1)
                    wav.setsampwidth(2)
                    wav.setframerate((await store.get_sentence(job_id, 0))[1])
                    async for pcm in content:
                        wav.writeframes(pcm)
            else:
                async for data in content:
                    file.write(data)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
