"""Typed failures of pulling weights; each message is one line a user can act on.

They are ``OSError``s, so every ``voicebus`` command prints them as one line, not a traceback.
"""

from __future__ import annotations


class ModelsError(OSError):
    """Pulling, checking or moving weights failed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class HubUnreachableError(ModelsError):
    """No answer from the Hugging Face Hub (or HF_ENDPOINT)."""


class RepoNotFoundError(ModelsError):
    """The repository or revision does not exist (or is private and no token was sent)."""


class EntryNotFoundError(ModelsError):
    """A file the engine needs is not in the repository at that revision."""


class GatedRepoError(ModelsError):
    """The repository needs an accepted licence and a token (HF_TOKEN)."""


class ChecksumMismatchError(ModelsError):
    """A downloaded file is not the file the Hub described; it was not installed."""


class WeightsMissingError(FileNotFoundError):
    """An engine started without its weights (the message names the command that pulls them)."""
