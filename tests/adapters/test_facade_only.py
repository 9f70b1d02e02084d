"""Adapters speak only to the hub client's facade: no adapter module reads an ``nc`` or a
``discovery`` attribute of anything (``hub.nc``, ``self.hub.discovery``, ``context.hub.nc``).

The facade (``hub/client/bus_facade.py``) has what they need instead: ``kv()``,
``publish()``, ``subscribe()``, ``gatekeeper()``, ``engines()``, ``refresh()`` and the rest.
"""

from __future__ import annotations

import ast
from pathlib import Path

ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"
FORBIDDEN = frozenset({"nc", "discovery"})


def breaches(source: str, filename: str) -> list[str]:
    """``file:line: .attr`` for every forbidden attribute access in ``source``."""
    tree = ast.parse(source, filename)
    return [
        f"{filename}:{node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN
    ]


def test_no_adapter_touches_the_connection_or_discovery() -> None:
    files = sorted(ADAPTERS.rglob("*.py"))
    assert len(files) > 20, "the adapters were not found"
    found = [hit for path in files for hit in breaches(path.read_text(), str(path))]
    assert not found, "adapters must use the hub facade:\n" + "\n".join(found)


def test_the_check_sees_a_breach() -> None:
    assert breaches("async def f(hub):\n    await hub.nc.publish('x', b'')\n", "a.py") == [
        "a.py:2: .nc"
    ]
    assert breaches("x = self.hub.discovery.workers()\n", "b.py") == ["b.py:1: .discovery"]
    assert breaches("await hub.publish('x', b'')\n", "c.py") == []
