"""OpenAI-compatible REST adapter: ``POST /v1/audio/speech`` and friends over the hub client.

Build the app with :func:`adapters.openai.app.create_app` or serve it with
:class:`adapters.openai.app.OpenAIAdapter`; see docs/openai.md.
"""

from hub.plugins import AdapterPlugin

PLUGIN = AdapterPlugin(
    name="openai",
    settings="adapters.openai.settings:OpenAISettings",
    factory="adapters.openai.app:OpenAIAdapter",
    description="OpenAI-compatible REST API (/v1/audio/speech), default 127.0.0.1:8000",
)
