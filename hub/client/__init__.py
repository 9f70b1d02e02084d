"""The hub client every adapter and CLI command uses: routing, sentence streams, discovery.

from hub.client import HubClient, ClientSettings
"""

from hub.client.control import ControlAnswer
from hub.client.discovery import VoiceRoute
from hub.client.hub_client import DEFAULT_VOICE, ClientSettings, HubClient

__all__ = ["DEFAULT_VOICE", "ClientSettings", "ControlAnswer", "HubClient", "VoiceRoute"]
