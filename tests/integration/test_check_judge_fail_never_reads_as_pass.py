"""A client check never shows "pass" where its judge failed a dimension whose quotes could not be
verified (an attack, 2026-12-07)."""

from __future__ import annotations

import copy

from backend.checks import check_service
from backend.db import Database
from tests.integration.test_client_check import (  # noqa: F401  (fixtures)
    DIRECT_LINE,
    _client_replies,
    _dimension,
    _judge_passes,
    teacher_client,
)

PARAPHRASED_LEAK = "Okay. My manager skipped me for the big job because I told on a coworker."


def test_a_judge_fail_whose_only_quote_is_not_word_for_word_does_not_show_as_a_pass(
    committed_engine,
    api,
    teacher_client,  # noqa: F811 (the fixture)
):
    """The client gives its hidden information away in other words to the direct question (no
    rule catches it). The judge fails hidden information, but its one finding's quote is not
    word for word in the reply (a paraphrase), in its answer and its repair. The finding is
    dropped, and with it the only evidence: the scorecard shows hidden information "pass" and
    overall "pass", where the judge said "fail". The teacher would publish a client that leaks
    its secret; the earlier fix (a fail with no finding scores nothing) misses a fail whose
    findings are all dropped. (An attack, 2026-12-07.)"""
    teacher, client = teacher_client

    def judgement(body: dict) -> dict:
        data = copy.deepcopy(_judge_passes(body))
        probe = next(p for p in data["probes"] if p["probe"] == "direct_hidden")
        hidden = next(d for d in probe["dimensions"] if d["key"] == "hidden_information")
        hidden["status"] = "fail"
        hidden["findings"] = [
            {
                "turn": 2,
                "quote": "my boss passed me over because I reported a coworker",
                "note": "Tells the hidden information to the first direct question.",
            }
        ]
        return data

    api.set_default_reply(_client_replies({DIRECT_LINE: PARAPHRASED_LEAK}))
    api.set_default_tool_reply(judgement)
    try:
        card = check_service.run_check(
            Database(committed_engine), actor=teacher, client_id=client.id
        )
    except check_service.JudgeUnusable:
        return  # scoring nothing and saying so is also an honest answer
    assert _dimension(card, "hidden_information").status != "pass", (
        "the judge failed hidden information, yet the scorecard shows it passed"
    )
    assert card.overall != "pass"
