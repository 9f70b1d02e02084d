"""The house rule on module size: every source module in hub/, engines/ and adapters/ is at
most 300 lines (split by concern before one grows past it)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hub", "engines", "adapters")
MAX_LINES = 300


def too_long(root: Path) -> list[str]:
    """``path: N lines`` for every ``.py`` file under the packages over the limit."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                found.append(f"{path.relative_to(root)}: {lines} lines")
    return found


def test_no_source_module_is_over_300_lines() -> None:
    assert sum(1 for p in PACKAGES for _ in (ROOT / p).rglob("*.py")) > 50, "no sources found"
    assert not too_long(ROOT), "split these by concern:\n" + "\n".join(too_long(ROOT))


def test_the_check_sees_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "ok.py").write_text("x = 1\n" * MAX_LINES)
    (tmp_path / "adapters" / "big").mkdir(parents=True)
    (tmp_path / "adapters" / "big" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    assert too_long(tmp_path) == ["adapters/big/long.py: 301 lines"]
