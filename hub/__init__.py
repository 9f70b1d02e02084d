"""voicebus hub: the bus contract, engine runner, hub client and shared helpers."""

__version__ = "0.1.0"
