"""The layers of the house, checked by reading every import (function-level ones too).

Pages talk to services only; services never draw; only `backend/llm/` talks to the model API; the
database layer never calls up into a service; services import each other without cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    """Every module a file imports, as dotted names (`from a import b` counts as `a` and `a.b`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _offending(folder: str, forbidden) -> dict[str, list[str]]:
    problems = {}
    for path in _files(folder):
        bad = sorted(name for name in _imports(path) if forbidden(name))
        if bad:
            problems[_module(path)] = bad
    return problems


def _under(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def test_pages_import_only_services_and_read_models():
    def forbidden(name: str) -> bool:
        if _under(name, "backend.models.enums"):
            return False  # the enums are plain values shared by every layer
        return _under(
            name, "sqlalchemy", "anthropic", "backend.db", "backend.models", "backend.llm"
        )

    assert _offending("mvp", forbidden) == {}


def test_services_never_import_streamlit():
    assert _offending("backend", lambda name: _under(name, "streamlit")) == {}


def test_only_the_llm_package_imports_the_sdk():
    outside = {
        module: names
        for module, names in _offending("backend", lambda name: _under(name, "anthropic")).items()
        if not module.startswith("backend.llm")
    }
    assert outside == {}
    assert _offending("mvp", lambda name: _under(name, "anthropic")) == {}


def test_the_database_layer_never_imports_a_service():
    assert (
        sorted(n for n in _imports(ROOT / "backend" / "db.py") if _under(n, "backend.services"))
        == []
    )


def test_services_import_each_other_without_cycles():
    services = {path.stem for path in _files("backend/services") if path.stem != "__init__"}
    graph = {
        name: {
            dep.rsplit(".", 1)[-1]
            for dep in _imports(ROOT / "backend/services" / f"{name}.py")
            if _under(dep, "backend.services") and dep.rsplit(".", 1)[-1] in services
        }
        - {name}
        for name in services
    }
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in graph[node]:
            if nxt in path:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif len(path) < len(graph):
                visit(nxt, path + [nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []
