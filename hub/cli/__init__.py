"""The ``voicebus`` command line (``python -m hub.cli`` runs it too)."""

from hub.cli.main import main

__all__ = ["main"]
