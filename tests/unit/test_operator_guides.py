"""The operator guides (docs/operations) are reachable from the README, and no link in the README
or in a guide points nowhere (issue 23: the README's "see Backups" led to no backup guide)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = sorted((ROOT / "docs" / "operations").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#{1,6} (.+)$", FENCE.sub("", markdown), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def _links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]


def test_the_readme_links_every_guide_and_the_backup_guide_covers_the_database():
    assert {g.name for g in GUIDES} >= {
        "backups.md",
        "upgrades.md",
        "tls.md",
        "secrets.md",
        "database-pool.md",
    }
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for guide in GUIDES:
        assert f"](docs/operations/{guide.name}" in readme, f"the README does not link {guide.name}"
    backups = (ROOT / "docs" / "operations" / "backups.md").read_text(encoding="utf-8")
    assert "pg_dump" in backups and "pg_restore" in backups


@pytest.mark.parametrize("path", [ROOT / "README.md", *GUIDES], ids=lambda p: p.name)
def test_every_relative_link_points_at_a_file_and_heading_that_exist(path: Path):
    for target in _links(path):
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        assert linked.exists(), f"{path.name} links {target}: no such file"
        if anchor and linked.suffix == ".md":
            anchors = _anchors(linked.read_text(encoding="utf-8"))
            assert anchor in anchors, f"{path.name} links {target}: no such heading"
