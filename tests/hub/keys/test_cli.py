"""``voicebus keys`` in-process (click's CliRunner) against the real bus: the secret on stdout
alone, JSON listing without secrets, and clear one-line errors for bad input."""

from __future__ import annotations

import json
import uuid

import pytest
from click.testing import CliRunner

from hub.cli.main import main
from hub.process.natsserver import NatsServer


@pytest.fixture
def run(nats_server: NatsServer, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("VOICEBUS_NATS_URL", nats_server.url)
    monkeypatch.setenv("VOICEBUS_SUBJECT_PREFIX", f"keys-cli-{uuid.uuid4().hex[:6]}")
    runner = CliRunner()
    return lambda *args: runner.invoke(main, ["keys", *args])


def test_create_list_revoke(run: object) -> None:
    assert callable(run)
    empty = run("list")
    assert empty.exit_code == 0 and "no API keys yet" in empty.stderr
    created = run("create", "--name", "bot", "--scope", "speak", "--scope", "voices",
                  "--rate", "60/min", "--chars", "20000/day")  # fmt: skip
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("vbk_") and len(token.splitlines()) == 1
    assert "speak,voices" in created.stderr and "20000/day" in created.stderr

    listed = json.loads(run("list", "--json").stdout)
    assert [(k["name"], k["scopes"], k["revoked_at"]) for k in listed] == [
        ("bot", ["speak", "voices"], None)
    ]
    assert {"salt", "secret_hash"}.isdisjoint(listed[0])
    assert token.split("_", 2)[2] not in json.dumps(listed)

    assert run("revoke", listed[0]["id"]).exit_code == 0  # by id works too
    assert json.loads(run("list", "--json").stdout)[0]["revoked_at"] is not None


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("create", "--name", "x", "--scope", "speak", "--rate", "60/fortnight"),
         "unknown unit 'fortnight'"),
        (("create", "--name", "x", "--scope", "speak", "--chars", "lots"), "COUNT/WINDOW"),
        (("create", "--name", "x", "--scope", "root"), "'root' is not one of"),
        (("create", "--name", "has space", "--scope", "speak"), "bad key name"),
        (("create", "--scope", "speak"), "Missing option '--name'"),
        (("revoke", "nobody"), "no API key named 'nobody'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line(run: object, args: tuple[str, ...], says: str) -> None:
    assert callable(run)
    result = run(*args)
    assert result.exit_code != 0
    assert says in result.output
    assert "Traceback" not in result.output


def test_a_taken_name_is_refused(run: object) -> None:
    assert callable(run)
    assert run("create", "--name", "twice", "--scope", "admin").exit_code == 0
    again = run("create", "--name", "twice", "--scope", "speak")
    assert again.exit_code == 1 and "already exists" in again.output
