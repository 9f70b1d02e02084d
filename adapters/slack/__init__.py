"""Slack adapter: ``/say``, mentions and a "Read aloud" shortcut that post speech as files.

``app.SlackAdapter`` serves Bolt's async app over HTTP (``POST /slack/events``) or, with an
app token, over Socket Mode. See docs/slack.md.
"""

from hub.plugins import AdapterPlugin

PLUGIN = AdapterPlugin(
    name="slack",
    settings="adapters.slack.settings:SlackSettings",
    factory="adapters.slack.app:SlackAdapter",
    description="Slack app (/say, mentions, Read aloud), HTTP default 127.0.0.1:3000",
)
