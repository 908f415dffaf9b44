"""Pages stay thin: every file under mvp/ fits in a head (split by screen or part beyond that)."""

from __future__ import annotations

from pathlib import Path

MVP = Path(__file__).resolve().parents[2] / "mvp"
MAX_LINES = 300


def test_no_file_under_mvp_is_over_300_lines() -> None:
    sizes = {
        str(path.relative_to(MVP)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(MVP.rglob("*.py"))
    }
    assert sizes, "no page files found"
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert not too_long, f"over {MAX_LINES} lines (split by screen or part): {too_long}"
