"""Fallback chains: when the first engine cannot serve, the next one does, within the deadline."""

from __future__ import annotations

import signal

from hub.client import HubClient
from hub.process.natsserver import NatsServer
from tests.conftest import DEFAULT_VOICE, EngineProcess, PrivateBus
from tests.helpers import assert_is_speech, collect, story


async def test_dead_primary_falls_back_to_piper(private_bus: PrivateBus, whisper: object) -> None:
    primary = private_bus.engine(VOICEBUS_ENGINE_NAME="primary")
    private_bus.engine()
    client = await private_bus.client(
        fallbacks={"primary": ["piper"]}, idle_timeout=1.5, start_timeout=1.5
    )
    await client.discovery.wait_for(lambda d: len(d.engines()) == 2, 10)
    routes = client.routes(DEFAULT_VOICE, engine="primary")
    assert [r.engine for r in routes] == ["primary", "piper"]

    first = await client.open(story(3), DEFAULT_VOICE, engine="primary")
    await collect(first)
    assert first.fallbacks == 0 and all(i.startswith("primary-") for i in first.served_by)

    # Killed without a word: discovery still lists it for a moment, so requests go to
    # it, find no responders, and move to the next engine in the chain.
    primary.send(signal.SIGKILL)
    text = story(4)
    stream = await client.open(text, DEFAULT_VOICE, engine="primary")
    pcm = await collect(stream)
    assert stream.fallbacks >= 1
    assert all(i.startswith("piper-") for i in stream.served_by[-1:])
    assert_is_speech(pcm, stream.sample_rate, text, whisper)

    # Once discovery has dropped it, the fallback is the first choice.
    await client.discovery.wait_for(lambda d: "primary" not in d.engines(), 10)
    assert client.resolve(DEFAULT_VOICE, engine="primary").engine == "piper"


async def test_paused_primary_falls_back(private_bus: PrivateBus) -> None:
    from hub.client.listing import control
    from hub.contract.schemas import ControlAction, ControlCommand

    private_bus.engine(VOICEBUS_ENGINE_NAME="gpu")
    private_bus.engine()
    settings = private_bus.settings(fallbacks={"gpu": ["piper"]})
    client = await private_bus.client(fallbacks={"gpu": ["piper"]})
    await client.discovery.wait_for(lambda d: len(d.engines()) == 2, 10)
    await control(settings, "gpu", ControlCommand(action=ControlAction.UNLOAD))
    await client.discovery.refresh()
    await client.discovery.wait_for(lambda d: [r.engine for r in d.routes()] == ["piper"], 5)
    text = "Gaming mode is on, and speech still works."
    stream = await client.open(text, DEFAULT_VOICE, engine="gpu")
    assert stream.engine == "piper"
    assert_is_speech(await collect(stream), stream.sample_rate, text)


async def test_openai_answer_names_the_fallback_and_counts_it(
    nats_server: NatsServer, piper_engine: EngineProcess
) -> None:
    from hub.client import ClientSettings
    from tests.adapters.openai.support import adapter_settings, running_adapter

    settings = ClientSettings(nats_url=nats_server.url, fallbacks={"chatterbox": ["piper"]})
    hub = await HubClient.connect(settings, "test-fallback-openai")
    try:
        await hub.wait_for_voice(DEFAULT_VOICE)
        adapter = adapter_settings(model_aliases={"tts-1-hd": "chatterbox"})
        async with running_adapter(adapter, hub) as server, server.http() as http:
            body = {"model": "tts-1-hd", "voice": "alloy", "input": "Hi.", "response_format": "pcm"}
            response = await http.post("/v1/audio/speech", json=body)
            assert response.status_code == 200, response.text
            assert response.headers["X-Voicebus-Engine"] == "piper"
            metrics = server.metrics()
            assert 'voicebus_openai_fallbacks_total{requested="chatterbox",served="piper"} 1.0' in (
                metrics
            )
    finally:
        await hub.close()
