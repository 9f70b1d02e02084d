"""Exactly what the XTTS loader (:func:`engines.xtts.engine.load_xtts`) reads: ``config.json``
(``XttsConfig.load_json``), ``model.pth`` and ``vocab.json`` (``Xtts.load_checkpoint``, strict)
and, when present, ``speakers_xtts.pth`` (the built-in studio speakers). The repository has
more (``dvae.pth``, ``mel_stats.pth``, samples) that inference never opens."""

REPO_ID = "coqui/XTTS-v2"
REQUIRED_FILES = ("config.json", "model.pth", "vocab.json")
OPTIONAL_FILES = ("speakers_xtts.pth",)
