"""Settings of the Wyoming adapter (env ``VOICEBUS_WYOMING_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from hub.settings import VoicebusSettings


class WyomingSettings(VoicebusSettings):
    """Where the Wyoming server listens and how it talks.

    The env prefix is ``VOICEBUS_WYOMING_`` (``VOICEBUS_WYOMING_PORT=10300``) so that the
    adapters' ``host``/``port`` keys never set each other. NATS options passed in by
    ``voicebus up`` are ignored: the adapter uses the hub client it is given.
    """

    model_config = SettingsConfigDict(env_prefix="VOICEBUS_WYOMING_", extra="ignore")

    host: str = Field(default="0.0.0.0", description="Address to listen on.")
    port: int = Field(default=10200, ge=0, le=65535, description="TCP port; 0 = any free port.")
    zeroconf: bool = Field(
        default=False, description="Announce _wyoming._tcp over mDNS for Home Assistant."
    )
    zeroconf_name: str = Field(default="voicebus", description="mDNS service name.")
    zeroconf_host: str | None = Field(
        default=None, description="Address to announce; default: this host's LAN address."
    )
    samples_per_chunk: int = Field(
        default=1024, ge=64, description="Audio samples per audio-chunk event."
    )
    write_timeout: float = Field(
        default=30.0, gt=0, description="Drop a client that reads nothing for this long."
    )
    shutdown_grace: float = Field(
        default=5.0, ge=0, description="Seconds connections get to close on shutdown."
    )
