"""Settings of the Wyoming adapter (env ``VOICEBUS_WYOMING_*``, TOML ``[wyoming]``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from hub.settings import AdapterSettings


class WyomingSettings(AdapterSettings):
    """Where the Wyoming server listens and how it talks: ``VOICEBUS_WYOMING_*`` variables
    (``VOICEBUS_WYOMING_PORT=10300``) or the ``[wyoming]`` table. The adapter uses the hub
    client it is given, so NATS options are not its business."""

    adapter_name: ClassVar[str] = "wyoming"

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
