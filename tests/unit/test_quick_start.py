"""The README's quick start and each role's Help page name the same steps, in the same order."""

from __future__ import annotations

import re

from backend.config import PROJECT_ROOT
from backend.models.enums import Role
from mvp.help.steps import STEPS


def _readme_steps(heading: str) -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick_start.split(f"**{heading}**", 1)[1].split("\n**", 1)[0]
    return re.findall(r"^\d+\. \*\*(.+?)\*\*", block, flags=re.M)


def _help_steps(role: Role) -> list[str]:
    return [title for text, _page in STEPS[role] for title in re.findall(r"^\*\*(.+?)\*\*", text)]


def test_the_readme_quick_start_lists_the_help_pages_steps_in_order() -> None:
    assert _readme_steps("Teachers") == _help_steps(Role.teacher)
    assert _readme_steps("Students") == _help_steps(Role.student)
    # The three deliberate-practice features are among them, for both roles.
    assert {"Practise this moment", "Do your drills", "Meet a continuing client again"} <= set(
        _readme_steps("Students")
    )
    assert {"Assign drills", "Make a client continuing"} <= set(_readme_steps("Teachers"))
