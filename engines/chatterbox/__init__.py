"""Resemble AI Chatterbox engines (chatterbox-tts): ``chatterbox`` (English, with emotion
exaggeration and classifier-free guidance) and ``chatterbox-turbo`` (faster, GPT-2 based).

Run in their own environment (``make engine-env-chatterbox``):
``.venv-chatterbox/bin/voicebus engine chatterbox`` (or ``chatterbox-turbo``). Settings live in
:mod:`engines.chatterbox.settings` (no heavy imports), the engines in
:mod:`engines.chatterbox.engine`.
"""
