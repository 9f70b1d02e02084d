"""A heavy engine and its weights, in its own environment: without them it stops with one
line naming the pull command; with ``auto_pull`` it pulls them from the Hub (announcing
``loading`` meanwhile), loads them in its real loader, and announces their revision."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import nats
import pytest
from nats.aio.msg import Msg

from hub.contract.schemas import EngineAnnouncement, EngineState
from hub.process.natsserver import NatsServer
from tests.conftest import PrivateBus
from tests.engines.conftest import HEAVY, SEED, VenvEngineProcess, checkpoint, engine_python
from tests.helpers import collect
from tests.hub.models.fake_hub import FakeHub, FakeRepo

XTTS_FILES = ("config.json", "model.pth", "vocab.json", "speakers_xtts.pth")


def test_an_engine_without_weights_names_the_command_that_pulls_them(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    python = engine_python(HEAVY["xtts"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEBUS_", "HF_"))}
    env |= {"VOICEBUS_NATS_URL": nats_server.url, "VOICEBUS_MODELS_DIR": str(tmp_path)}
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing must be fetched: this would fail loudly
    done = subprocess.run(
        [str(python), "-m", "hub.cli", "engine", "xtts"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 1
    said = [line for line in done.stderr.splitlines() if "voicebus models pull xtts" in line]
    assert len(said) == 1, done.stderr
    assert said[0].startswith("Error: xtts: no weights of coqui/XTTS-v2@main")
    assert "Traceback" not in done.stderr and not list(tmp_path.iterdir())


@pytest.mark.timeout(400)
async def test_auto_pull_announces_loading_then_serves_the_pulled_revision(
    fake_hub: FakeHub,
    models_dir: Path,
    private_bus: PrivateBus,
    nats_server: NatsServer,
    engine_logs: Path,
) -> None:
    spec = HEAVY["xtts"]
    python = engine_python(spec)
    built, _ = await asyncio.to_thread(checkpoint, spec)
    repo = fake_hub.repos["coqui/XTTS-v2"] = FakeRepo({name: built / name for name in XTTS_FILES})
    states: list[tuple[str, EngineState]] = []

    async def seen(msg: Msg) -> None:
        announcement = EngineAnnouncement.model_validate_json(msg.data)
        states.append((announcement.instance, announcement.state))

    watcher = await nats.connect(nats_server.url)
    await watcher.subscribe(f"{private_bus.prefix}.discovery.announce", cb=seen)
    await watcher.flush()
    env = {
        "VOICEBUS_SUBJECT_PREFIX": private_bus.prefix,
        "VOICEBUS_MODELS_DIR": str(models_dir),
        "VOICEBUS_AUTO_PULL": "true",
        "HF_ENDPOINT": fake_hub.endpoint,
        "VOICEBUS_TEST_MAX_TOKENS": str(spec.max_tokens),
        "VOICEBUS_SYNTHESIS_SEED": SEED,
    }
    engine = VenvEngineProcess(python, nats_server.url, "xtts", engine_logs, **env).start()
    private_bus.engines.append(engine)
    try:
        instance = await asyncio.to_thread(engine.instance, 240)
        client = await private_bus.client(voice="xtts-studio")
        stream = await client.open("Weights on demand.", "xtts-studio")
        async with stream:
            pcm = await collect(stream)
    finally:
        await watcher.close()

    assert stream.sample_rate == 24000 and len(pcm) > 0
    assert "pulling xtts (coqui/XTTS-v2): model.pth" in engine.log()
    placeholders = [i for i, state in states if state is EngineState.LOADING]
    assert placeholders and placeholders[0] != instance, states
    first_warm = states.index((instance, EngineState.WARM))
    assert states.index((placeholders[0], EngineState.LOADING)) < first_warm
    assert (placeholders[0], EngineState.STOPPING) in states
    worker = next(w for w in client.discovery.workers() if w.instance == instance)
    assert (worker.model, worker.revision) == ("coqui/XTTS-v2", repo.commit)

    listing = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "hub.cli", "engines"],
        env=private_bus.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f"model=coqui/XTTS-v2@{repo.commit[:12]}" in listing.stdout, listing.stdout


@pytest.mark.parametrize("name", ["xtts", "chatterbox", "chatterbox-turbo"])
def test_missing_weights_are_reported_before_any_model_package_loads(
    name: str, tmp_path: Path
) -> None:
    """In the main environment (no torch): the plug-in's factory finds the weights missing
    and says so; importing the engine first would fail with an ImportError instead."""
    from hub import plugins
    from hub.models import WeightsMissingError

    plugin = plugins.engine(name)
    settings = plugin.settings_class()(models_dir=tmp_path)
    with pytest.raises(WeightsMissingError, match=f"'voicebus models pull {name}'"):
        plugin.build(settings)
