"""Long work runs in the backend's jobs, never in a page: no page imports `threading` or
`concurrent` (function-level imports too). That the jobs kernel imports no domain is the layers
contract's (pyproject.toml, tests/unit/test_import_layers.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("threading", "concurrent")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_pages_own_no_threads_or_pools():
    offending = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _imports(path)
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
        )
        for path in sorted((ROOT / "mvp").rglob("*.py"))
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_check_finds_a_thread_import(tmp_path: Path):
    page = tmp_path / "page.py"
    page.write_text("def run():\n    from concurrent.futures import ThreadPoolExecutor\n")
    assert "concurrent.futures" in _imports(page)
