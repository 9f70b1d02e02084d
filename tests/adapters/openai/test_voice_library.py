"""``/v1/voices``: uploading reference clips into the voice library over REST."""

from __future__ import annotations

from hub.audio import wav_bytes
from hub.client import ClientSettings, HubClient
from hub.process.natsserver import NatsServer
from hub.store.library import VoiceLibrary
from tests.adapters.openai.support import RunningAdapter, adapter_settings, running_adapter
from tests.conftest import DEFAULT_VOICE
from tests.helpers import collect, story


async def _clip(hub: HubClient, sentences: int) -> bytes:
    stream = await hub.open(story(sentences), DEFAULT_VOICE)
    return wav_bytes(await collect(stream), stream.sample_rate)


async def test_upload_list_rename_delete(openai_server: RunningAdapter, hub: HubClient) -> None:
    clip = await _clip(hub, 2)
    async with openai_server.http() as http:
        files = {"file": ("me.wav", clip, "audio/wav")}
        data = {"name": "rest-voice", "transcript": "hello", "language": "en"}
        created = await http.post("/v1/voices", data=data, files=files)
        assert created.status_code == 201, created.text
        meta = created.json()
        assert meta["name"] == "rest-voice" and 3 <= meta["duration_seconds"] <= 30

        listed = (await http.get("/v1/voices")).json()
        assert "rest-voice" in [voice["name"] for voice in listed["data"]]

        renamed = await http.post("/v1/voices/rest-voice/rename", json={"name": "rest-voice-2"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "rest-voice-2"

        assert (await http.delete("/v1/voices/rest-voice-2")).status_code == 204
        listed = (await http.get("/v1/voices")).json()
        assert "rest-voice-2" not in [voice["name"] for voice in listed["data"]]


async def test_bad_uploads_get_openai_errors(openai_server: RunningAdapter, hub: HubClient) -> None:
    short = wav_bytes(b"\x10\x00" * 22050, 22050)  # one second
    async with openai_server.http() as http:
        too_short = await http.post(
            "/v1/voices", data={"name": "short"}, files={"file": ("s.wav", short, "audio/wav")}
        )
        assert too_short.status_code == 400
        assert "second" in too_short.json()["error"]["message"]

        bad_name = await http.post(
            "/v1/voices", data={"name": "../etc"}, files={"file": ("s.wav", short, "audio/wav")}
        )
        assert bad_name.status_code == 400 and "name" in bad_name.json()["error"]["message"]

        huge = b"\0" * (13 * 1024 * 1024)
        too_big = await http.post(
            "/v1/voices", data={"name": "big"}, files={"file": ("b.wav", huge, "audio/wav")}
        )
        assert too_big.status_code == 413

        missing = await http.delete("/v1/voices/nobody-here")
        assert missing.status_code == 400
        assert missing.json()["error"]["code"] == "voice_not_found"


async def test_uploads_go_to_the_configured_bucket(
    nats_server: NatsServer, piper_engine: object, hub: HubClient
) -> None:
    """VOICEBUS_VOICE_BUCKET names the library for the adapter too, not only for engines."""
    settings = ClientSettings(nats_url=nats_server.url, voice_bucket="rest-custom-voices")
    async with (
        await HubClient.connect(settings, "test-rest-bucket") as custom_hub,
        running_adapter(adapter_settings(), custom_hub) as server,
        server.http() as http,
    ):
        files = {"file": ("me.wav", await _clip(hub, 2), "audio/wav")}
        created = await http.post("/v1/voices", data={"name": "bucketed"}, files=files)
        assert created.status_code == 201, created.text
        listed = (await http.get("/v1/voices")).json()
        assert [voice["name"] for voice in listed["data"]] == ["bucketed"]
    custom = await VoiceLibrary.open(hub.nc, "rest-custom-voices")
    assert [meta.name for meta in await custom.list()] == ["bucketed"]
    default = await VoiceLibrary.open(hub.nc)
    assert "bucketed" not in [meta.name for meta in await default.list()]
    await custom.delete("bucketed")
