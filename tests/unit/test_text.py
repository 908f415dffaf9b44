"""Small text helpers: a reply cut at its cap ends at its last whole sentence."""

from __future__ import annotations

import pytest

from backend.utils.text import whole_sentences


@pytest.mark.parametrize(
    ("cut", "kept"),
    [
        ("I don't know. Maybe it's work? It's just that every", "I don't know. Maybe it's work?"),
        ('She said "no." And then I', 'She said "no."'),
        ("Honestly... I guess so! We", "Honestly... I guess so!"),
        ("Whole already.", "Whole already."),
        ("No sentence end at all, just", "No sentence end at all, just…"),
        ("", ""),
    ],
)
def test_a_cut_reply_keeps_its_whole_sentences(cut, kept):
    assert whole_sentences(cut) == kept
