"""Processes and their supervision: ``voicebus up``, engine workers, the embedded nats-server."""
