"""The public Piper voice collection (``rhasspy/piper-voices`` on the Hugging Face Hub).

Its catalogue ``voices.json`` maps each voice key (``de_DE-thorsten-medium``) to its
language, quality, speakers and files (``<lang>/<code>/<name>/<quality>/<key>.onnx`` and
``.onnx.json``, plus a ``MODEL_CARD`` the engine does not need).
"""

from __future__ import annotations

import json
from typing import Any

from hub.models import CatalogueVoice

REPO_ID = "rhasspy/piper-voices"
CATALOGUE = "voices.json"
VOICE_SUFFIXES = (".onnx", ".onnx.json")


def parse_catalogue(data: bytes) -> list[CatalogueVoice]:
    """Every voice of a ``voices.json``, sorted by name; entries without model files are skipped."""
    entries: dict[str, Any] = json.loads(data)
    voices = []
    for key, entry in entries.items():
        files: dict[str, Any] = entry.get("files") or {}
        needed = tuple(sorted(path for path in files if path.endswith(VOICE_SUFFIXES)))
        if not any(path.endswith(".onnx") for path in needed):
            continue
        language = entry.get("language") or {}
        english = language.get("name_english", "")
        country = language.get("country_english", "")
        voices.append(
            CatalogueVoice(
                name=str(entry.get("key") or key),
                language=str(language.get("code", "")),
                quality=str(entry.get("quality", "")),
                speakers=int(entry.get("num_speakers") or 1),
                files=needed,
                size_bytes=sum(int(files[path].get("size_bytes") or 0) for path in needed),
                description=f"{english} ({country})" if country else english,
                aliases=tuple(entry.get("aliases") or ()),
            )
        )
    return sorted(voices, key=lambda voice: voice.name)
