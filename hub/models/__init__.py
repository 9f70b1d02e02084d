"""Engine weights on demand: ``voicebus models`` and the engines' start-up lookup.

Each engine declares exactly which files of which Hugging Face repository its loader reads
(a :class:`WeightsManifest` from its settings' ``weights_manifest``), and a voice collection
if it has one (Piper's). This package pulls them into the store (the Hugging Face cache
layout; :mod:`hub.models.store`) over the Hub's file API (:mod:`hub.models.remote`), with
progress, resume and checksums (:mod:`hub.models.download`), bundles them for offline
machines (:mod:`hub.models.bundle`) and finds them when an engine starts
(:mod:`hub.models.locate`). No model package is imported here.
"""

from hub.models.errors import ModelsError, WeightsMissingError
from hub.models.manifest import CatalogueVoice, VoiceCollection, WeightsManifest
from hub.models.settings import WeightsSettings
from hub.models.store import ModelStore, Snapshot

__all__ = [
    "CatalogueVoice",
    "ModelStore",
    "ModelsError",
    "Snapshot",
    "VoiceCollection",
    "WeightsManifest",
    "WeightsMissingError",
    "WeightsSettings",
]
