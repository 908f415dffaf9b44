"""(An attack, 2026-12-06.) (Attack S, 2026-12-06.) The output guard's new normal form (commit 1c85fb9): accents and
full-width forms folded (NFKD), single letters in a row joined into one word (its spelled-out
cases beside 'a' and 'I' are with the other spelling tricks, in test_guard_tricks.py).

README "How a turn works", step 3: "Text is compared in a normal form (case, accents and
full-width letters, ...; a word spelled out letter by letter, 'P-R-E-G-N-A-N-T', is that word)".
Documented limits (not tested here): a secret in Spanish or Chinese, a word cut by a hyphen.
"""

from __future__ import annotations

from tests.integration.test_guard_tricks import _converse

INNOCENT = "Honestly? Most nights I have a drink or two, that's all."


def test_a_fraction_in_the_hidden_information_does_not_break_the_conversation(
    committed_engine, api, classroom
):
    """A teacher writes '½' in the hidden information ('drinks ½ a bottle of vodka'). Folding
    full-width forms (NFKD) turns '½' into '1⁄2', which the guard then reads as a number
    (`float('1⁄2')`): every reply of every conversation with this client fails. Before the
    commit '½' was an ordinary word."""
    seen, stored = _converse(
        committed_engine,
        api,
        classroom,
        "She drinks ½ a bottle of vodka every night and hides the empties from her husband.",
        "How much do you drink, would you say?",
        INNOCENT,
    )
    assert seen == INNOCENT, f"the student read: {seen!r}"
    assert INNOCENT in stored
