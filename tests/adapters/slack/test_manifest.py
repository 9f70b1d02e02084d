"""The app manifest in docs/slack.md matches the code: what a user pastes into Slack
declares exactly the commands, shortcut, event and scopes the adapter relies on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from adapters.slack.commands import COMMANDS
from adapters.slack.events import READ_ALOUD

DOC = Path(__file__).resolve().parents[3] / "docs" / "slack.md"
REQUIRED_SCOPES = {"commands", "app_mentions:read", "chat:write", "files:write"}


def manifest() -> dict[str, Any]:
    [block] = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL)
    return yaml.safe_load(block)


def test_the_manifest_declares_what_the_adapter_registers() -> None:
    found = manifest()
    features, settings = found["features"], found["settings"]
    assert [c["command"] for c in features["slash_commands"]] == list(COMMANDS)
    [shortcut] = features["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", READ_ALOUD)
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention"]
    assert settings["interactivity"]["is_enabled"] is True
    assert set(found["oauth_config"]["scopes"]["bot"]) >= REQUIRED_SCOPES


def test_every_url_is_the_one_events_path() -> None:
    found = manifest()
    urls = [c["url"] for c in found["features"]["slash_commands"]]
    urls += [
        found["settings"][key]["request_url"] for key in ("event_subscriptions", "interactivity")
    ]
    assert {url.removeprefix("https://YOUR-HOST") for url in urls} == {"/slack/events"}
