"""The day's last fixes hold up: a judge's quote with typographic marks is scored, and a double
click's guard compares every field of the form (an attack on the day's fixes, 2026-12-07)."""

from __future__ import annotations

import copy

import pytest

from backend.checks import check_service
from backend.db import unit_of_work
from backend.drills import drill_service
from backend.models.enums import DrillSkill
from tests.integration.test_client_check import (  # noqa: F401  (fixtures)
    _dimension,
    _judge_passes,
    _run,
    teacher_client,
)


@pytest.mark.parametrize(
    ("reply", "judge_quote"),
    [
        (
            "I don't know. My boss said \"you're done here\" and I just left.",
            "My boss said \u201cyou\u2019re done here\u201d",
        ),
        ("I don't know... my boss handles it.", "I don\u2019t know\u2026 my boss handles it"),
    ],
    ids=["curly-double-quotes", "ellipsis-character"],
)
def test_a_judge_fail_quoted_with_typographic_quotes_is_scored_not_refused(
    committed_engine,
    api,
    teacher_client,  # noqa: F811 (the fixture)
    reply,
    judge_quote,
):
    """The judge fails "facts" and quotes the client word for word, its straight double quotes
    (or three dots) written the typographic way, as it writes apostrophes (which the quote check
    forgives). Since 215c323 a warn/fail with no quote that holds up leaves the probe unjudged,
    so the whole check is refused ("could not be used ... Run the check again", its cost
    counted) - and refused again at every run, as the judge writes quotes the same way. (An attack on the day's fixes, 2026-12-07.)"""
    teacher, client = teacher_client

    def judgement(body: dict) -> dict:
        answer = _judge_passes(body)
        answer["probes"][0]["dimensions"] = copy.deepcopy(answer["probes"][0]["dimensions"])
        facts = next(d for d in answer["probes"][0]["dimensions"] if d["key"] == "facts")
        facts["status"] = "fail"
        facts["findings"] = [{"turn": 2, "quote": judge_quote, "note": "No boss in the profile."}]
        return answer

    api.set_default_reply(reply)
    api.set_default_tool_reply(judgement)
    try:
        card = _run(committed_engine, teacher, client)
    except check_service.JudgeUnusable as refused:
        pytest.fail(f"a word-for-word quote (typographic marks aside) refused the check: {refused}")
    facts = _dimension(card, "facts")
    assert facts.status == "fail", facts


def test_two_drill_sets_of_one_title_and_two_skills_made_back_to_back_are_two(
    committed_engine,
    teacher_client,  # noqa: F811 (the fixture)
):
    """ "Week 3" for reflections, Create; then "Week 3" again with the skill changed to open
    questions (the skill box keeps its choice, only the title is cleared), Create, within ten
    seconds. The double click's guard matches the owner and title only: the second Create hands
    back the reflections set ("Created Week 3" all the same), so there is no open-questions set
    and its items are refused for the skill. (An attack on the day's fixes, 2026-12-07.)"""
    teacher, _client = teacher_client
    with unit_of_work(committed_engine) as db:
        first = drill_service.create_set(
            db, actor=teacher, title="Week 3", skill=DrillSkill.reflect, once=True
        )
    with unit_of_work(committed_engine) as db:
        second = drill_service.create_set(
            db, actor=teacher, title="Week 3", skill=DrillSkill.open_question, once=True
        )
    assert (second.id, second.skill) != (first.id, DrillSkill.reflect), (
        f"the second Create (open questions) gave back set {second.id} with skill {second.skill}"
    )
