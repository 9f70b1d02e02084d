"""Wyoming adapter: Home Assistant's voice protocol in front of the hub.

``server.WyomingAdapter`` runs a Wyoming TCP server (default ``0.0.0.0:10200``); every
connection gets its own ``handler.WyomingHandler``. See docs/wyoming.md.
"""

from hub.plugins import AdapterPlugin

PLUGIN = AdapterPlugin(
    name="wyoming",
    settings="adapters.wyoming.settings:WyomingSettings",
    factory="adapters.wyoming.server:WyomingAdapter",
    description="Wyoming server for Home Assistant, default 0.0.0.0:10200",
)
