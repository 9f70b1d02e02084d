"""OpenAI-compatible REST adapter: ``POST /v1/audio/speech`` and friends over the hub client.

Build the app with :func:`adapters.openai.app.create_app` or serve it with
:class:`adapters.openai.app.OpenAIAdapter`; see docs/openai.md.
"""
