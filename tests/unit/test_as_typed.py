"""An attack on `as_typed` (backend/utils/markdown.py, c51d193): a student's message
"shown as it was typed: every character literal (no emphasis from "3*4*5", no heading or rule from
"---") and every line break kept". Rendered as the app's own test renders it (CommonMark)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from markdown_it import MarkdownIt

from backend.utils.markdown import as_typed


def _rendered(text: str) -> str:
    return MarkdownIt("commonmark").render(as_typed(text))


def _visible(text: str) -> str:
    rendered = _rendered(text).replace("\n", " ")
    rendered = re.sub(r"<br\s*/?>", "\n", rendered)
    rendered = re.sub(r"</(p|li|h\d|blockquote)>|<hr\s*/?>", "\n", rendered)
    shown = html_lib.unescape(re.sub(r"<[^>]+>", "", rendered))
    lines = [re.sub(r"\s+", " ", line).strip() for line in shown.split("\n")]
    return "\n".join(line for line in lines if line)


@pytest.mark.parametrize("underline", ["===", "="])
def test_a_line_underlined_with_equals_signs_is_no_heading(underline):
    """ "---" under a line was fixed (a setext heading); "===" under a line still makes the line
    above it a first-level heading, the biggest text on the teacher's page."""
    typed = f"I don't know what to say\n{underline}"
    assert "<h1>" not in _rendered(typed)
    assert _visible(typed) == typed


def test_an_html_entity_a_student_types_shows_as_typed():
    """ "&" is not escaped: "&lt;3" typed shows as "<3", "&amp;" as "&"."""
    typed = "I &lt;3 my kids &amp; my job"
    assert _visible(typed) == typed
