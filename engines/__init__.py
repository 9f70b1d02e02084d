"""Engines: one module or package per TTS backend. Heavy imports stay inside each."""
