"""The day's last fixes hold up (an attack on them, 2026-12-07): a rubric saved earlier with two criteria of one name still loads, two names that differ only in punctuation keep two rows, and "Truth be told, I'm an AI" is held back."""

from __future__ import annotations

import pydantic
import pytest
from sqlalchemy import select

from backend.errors import ValidationError
from backend.models import SessionReview
from backend.reviews import progress_service, review_service, rubric_service
from backend.reviews.rubrics import load_builtin_rubrics
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply
from tests.integration.test_edited_rubrics_in_class_figures import (
    _class,
    _copy,
    _edit,
    _reviewed,
    _student,
)

MICRO = next(rubric for rubric in load_builtin_rubrics() if rubric.key == "micro_skills")


def _rename(key: str, name: str):
    def change(criteria):
        next(c for c in criteria if c["key"] == key)["name"] = name

    return change


def test_a_rubric_saved_earlier_with_two_criteria_of_one_name_still_loads(db):
    """What the teacher sees: before 20b799a the Rubrics page saved a copy of micro-skills in
    which "Pacing" was renamed "Empathy" (nothing refused it), and Ann's session was reviewed
    under it. After the upgrade Class progress for the whole section, Ann's My progress, and
    the session's review page all crash with a pydantic ValidationError ("two criteria are
    both called 'Empathy'"), for every session of the section, not only that one. Why it is
    wrong: the new refusal sits in `RubricDefinition`'s model validator, which also runs on
    every stored version read back (`progress_service._rows`, `review_service.
    get_review_rubric`, `session_screen`, `teacher_review_service`), and no migration renames
    the stored duplicates. Only a new save should be refused."""
    teacher, client, section, _week1, week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Two empathies")
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    session_id = _reviewed(db, ann, client, week5, empathy=1, pacing=5)
    # The version as it was saved before 20b799a: two criteria called "Empathy".
    review = db.scalar(select(SessionReview).where(SessionReview.session_id == session_id))
    version = db.get_one(rubric_service.RubricVersion, review.rubric_version_id)
    definition = dict(version.definition)
    definition["criteria"] = [
        dict(c) | ({"name": "Empathy"} if c["key"] == "pacing" else {})
        for c in definition["criteria"]
    ]
    version.definition = definition
    db.flush()

    failures = []
    for what, read in (
        (
            "Class progress",
            lambda: progress_service.class_progress(db, actor=teacher, section_id=section.id),
        ),
        (
            "the review's rubric",
            lambda: review_service.get_review_rubric(db, actor=teacher, session_id=session_id),
        ),
    ):
        try:
            read()
        except pydantic.ValidationError as error:
            failures.append(f"{what}: {error.errors()[0]['msg']}")
    assert not failures, f"a rubric version stored before the refusal no longer loads: {failures}"


def test_two_differently_named_criteria_keep_both_ratings_in_class_progress(db):
    """What the teacher sees: in their copy of micro-skills they rename "Open questions" to
    "Reflections (+)" and "Pacing" to "Reflections (-)" (the page accepts both: the names
    differ). Ann's review rates the first 1 and the second 5. Class progress shows one row,
    "Reflections (+)", with her 5: the 1 is gone from Scores per criterion, from the sessions
    CSV and from below fair. Before 20b799a each name was its own row. Why it is wrong:
    `rubrics.criterion_key` slugs the name (`re.sub(r"[^a-z0-9]+", "_", ...)`), so two names
    that differ only in punctuation or in non-Latin letters ("Q1 開かれた質問" / "Q1 閉じた質問")
    get one key, and `progress_service._thresholds` writes the second's score over the first's
    (`moved[row] = ...`); the schema refuses only names that READ alike (`reads_as`)."""
    teacher, client, section, _week1, week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Plus and minus")

    def change(criteria):
        _rename("open_questions", "Reflections (+)")(criteria)
        _rename("pacing", "Reflections (-)")(criteria)

    try:
        _edit(db, teacher, copy, change)
    except ValidationError:
        return  # refused at save: the figures can no longer merge them
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    _reviewed(db, ann, client, week5, open_questions=1, pacing=5)

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)

    rated = sum(sum(row.counts.values()) for row in progress.distribution)
    assert rated == len(MICRO.criteria), (
        f"Ann's review has {len(MICRO.criteria)} ratings; Scores per criterion counts {rated}: "
        f"{[(r.name, r.criterion, r.counts) for r in progress.distribution]}"
    )


# 730c430: "told" made an echo word --------------------------------------------------------------
@pytest.mark.parametrize(
    "out_of_role",
    [
        "Truth be told, I'm an AI language model, so I have no feelings to share.",
    ],
)
def test_a_reply_that_says_it_is_an_ai_after_truth_be_told_is_held_back(
    committed_engine, api, classroom, out_of_role
):
    """What the student sees: they ask the client how they feel and read "Truth be told, I'm an
    AI language model, so I have no feelings to share.": the client is a program, and the words
    are stored as the client's turn. Before 730c430 the guard held this back and asked again.
    Why it is wrong: 730c430 added "told" (and "like") to `output_guard._ECHOING` (for a quoted
    bank chatbot, "it told me, I'm a bot"), and `_echoed` counts any such word right before
    "I'm" as an echo when no "I" stands in the four words before it, so the idiom "Truth be
    told," now makes the model's own admission read as a reported one."""
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    _session, seen, _outcome = first_reply(
        committed_engine, classroom, "How are you feeling today?"
    )
    assert out_of_role not in seen, f"the student read {seen!r}"
    assert len(api.messages_requests()) == 2, "the out-of-role reply was not asked for again"
