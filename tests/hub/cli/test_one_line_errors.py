"""Mistakes on the ``voicebus`` command line are one line naming what is valid (exit 1),
before anything starts: an unknown engine, a mistyped adapter setting."""

from __future__ import annotations

import os
import subprocess
import sys

VOICEBUS = [sys.executable, "-m", "hub.cli"]


def voicebus(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOICEBUS_CONFIG": ""}
    return subprocess.run([*VOICEBUS, *args], capture_output=True, text=True, timeout=60, env=env)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unknown_engine_lists_the_known_ones() -> None:
    line = one_line_error(voicebus("up", "--engine", "nope"))
    head, _, known = line.partition("; known engines: ")
    assert head == "Error: unknown engine 'nope'"
    assert "piper" in known.split(", ")


def test_a_mistyped_set_key_in_up_lists_the_valid_keys() -> None:
    line = one_line_error(voicebus("up", "--adapter", "openai", "--set", "openai.prot=1"))
    head, _, valid = line.partition("; valid keys: ")
    assert head == "Error: unknown setting 'prot' for adapter openai"
    assert {"port", "host"} <= set(valid.split(", "))


def test_a_mistyped_set_key_in_adapter_lists_the_valid_keys() -> None:
    line = one_line_error(voicebus("adapter", "wyoming", "--set", "prot=1"))
    head, _, valid = line.partition("; valid keys: ")
    assert head == "Error: unknown setting 'prot' for adapter wyoming"
    assert "samples_per_chunk" in valid.split(", ")
