"""``voicebus cache stats | clear`` and ``voicebus say --no-cache``, through click's runner,
against the real nats-server and Piper."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from click.testing import CliRunner

from hub.cli.main import main
from hub.process.natsserver import NatsServer
from tests.conftest import EngineProcess


def test_say_fills_the_cache_and_the_cache_commands_show_and_clear_it(
    nats_server: NatsServer, piper_engine: EngineProcess, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {
        "VOICEBUS_NATS_URL": nats_server.url,
        "VOICEBUS_CACHE_ENABLED": "true",
        "VOICEBUS_CACHE_BUCKET": f"test-cli-{uuid.uuid4().hex[:8]}",
    }

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    def stats() -> dict[str, float]:
        return json.loads(run("cache", "stats", "--json").strip().splitlines()[-1])

    text = "The kettle is on, and the tea will be ready soon."
    out = tmp_path / "tea.wav"
    assert "(cache miss)" in run("say", text, "-o", str(out), "--no-cache")
    assert stats()["entries"] == 0  # --no-cache neither reads nor writes
    assert "(cache miss)" in run("say", text, "-o", str(out))
    first = out.read_bytes()
    assert "(cache hit)" in run("say", text, "-o", str(out))
    assert out.read_bytes() == first and len(first) > 44 + 22050
    state = stats()
    assert state["entries"] == 1 and state["bytes"] > 22050 and state["evictions"] == 0
    assert "entries    1" in run("cache", "stats")
    assert "deleted 0 clip(s) of voice en_US-amy-medium" in run(
        "cache", "clear", "--voice", "en_US-amy-medium"
    )
    assert "deleted 1 clip(s) of voice en_US-joe-medium" in run(
        "cache", "clear", "--voice", "en_US-joe-medium"
    )
    assert "deleted 0 clip(s)" in run("cache", "clear")
    assert stats()["entries"] == 0


def test_a_bus_without_jetstream_is_one_clear_line(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats", port=-1, jetstream=False)
    server.start()
    try:
        result = CliRunner().invoke(
            main, ["cache", "stats", "--nats-url", server.url], catch_exceptions=False
        )
    finally:
        server.stop()
    assert result.exit_code == 1
    assert "Error: (engine_unavailable) the audio cache needs JetStream" in result.output
    assert "Traceback" not in result.output
