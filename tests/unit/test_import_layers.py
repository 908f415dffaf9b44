"""The layers of the house: the import contracts in pyproject.toml ([tool.importlinter]).

import-linter reads every import (function-level ones too): domains sit on the kernel in layers
(practice never imports reviews, usage never imports practice, the kernel and llm import no
domain), no package holds an import cycle, pages talk to services and read models only, the
backend never draws, and only `backend/llm/` talks to the model API. `lint-imports` prints the
same report from the command line.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))  # lint_imports puts the cwd on it
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert status == EXIT_STATUS_SUCCESS, report
    assert "0 broken" in report


def test_the_contracts_refuse_a_wrong_import(tmp_path: Path) -> None:
    """On a copy of the tree with one wrong import per rule, each contract names the offender."""
    for name in ("backend", "mvp"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)

    def append(relative: str, line: str) -> None:
        with (tmp_path / relative).open("a", encoding="utf-8") as file:
            file.write(f"\n{line}\n")

    append("backend/practice/history_service.py", "from backend.reviews import review_service")
    append("backend/llm/pricing.py", "from backend.usage import usage_service")
    append("backend/reviews/phrases.py", "from backend.reviews import coding")
    append("mvp/ui.py", "from backend.models import User")
    append("backend/usage/budget_service.py", "import streamlit")
    append("backend/clients/client_service.py", "import anthropic")
    (tmp_path / "backend" / "newdomain").mkdir()
    (tmp_path / "backend" / "newdomain" / "__init__.py").write_text("")

    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
    )
    report = run.stdout
    assert run.returncode != 0, report
    for expected in (
        "backend.practice.history_service -> backend.reviews",
        "backend.llm.pricing -> backend.usage",
        "No cycles are allowed in backend.reviews",
        "mvp.ui -> backend.models",
        "backend.usage.budget_service -> streamlit",
        "backend.clients.client_service -> anthropic",
        "- backend.newdomain",
    ):
        assert expected in report, report
    assert "0 kept" in report, report
