"""A teacher's edited rubric in the class's figures: a criterion is a row by its name, so a
criterion rewritten to score something new is a row of its own, while a rename put back, two
criteria whose texts were swapped, a reworded meaning and names in any script keep each score on
its own criterion's row; the MITI relational average follows its criteria whatever they are
called. (An attack on the day's fixes, 2026-12-07: a first fix gave rewritten criteria new keys,
and broke each of these.)"""

from __future__ import annotations

from sqlalchemy import select

from backend.models import Rubric, SessionReview
from backend.models.enums import Role
from backend.models.review import ReviewSource
from backend.practice import session_service
from backend.reviews import indicators as counted
from backend.reviews import progress_service, review_service, rubric_service
from backend.reviews.rubric_schema import RubricDefinition
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_client,
    make_section,
    make_user,
)
from tests.integration.test_review_queue import LINES  # ten student turns: long enough

STUDENT_TURNS = list(range(1, 20, 2))  # the student's turns of LINES, as reviews number them


# Helpers ----------------------------------------------------------------------------------------
def _copy(db, teacher, builtin_key: str, name: str) -> int:
    rubric_service.seed_builtin_rubrics(db)
    source = db.scalar(
        select(Rubric.id).where(Rubric.key == builtin_key, Rubric.owner_id.is_(None))
    )
    return rubric_service.copy_rubric(db, actor=teacher, rubric_id=source, name=name).id


def _edit(db, teacher, rubric_id: int, change) -> RubricDefinition:
    """Save the rubric's latest version with `change(criteria)` applied to its criteria, as the
    Rubrics page's form does (keys as they were; texts rewritten)."""
    definition = rubric_service.definition_of(rubric_service.latest_version(db, rubric_id))
    edited = definition.model_dump(mode="json")
    change(edited["criteria"])
    rubric_service.update_rubric(db, actor=teacher, rubric_id=rubric_id, definition=edited)
    return rubric_service.definition_of(rubric_service.latest_version(db, rubric_id))


def _reviewed(db, student, client, assignment, **scores: int) -> int:
    """An ended, long enough conversation under `assignment`, its model review rating every
    criterion 4 unless `scores` names it (by key)."""
    session = session_service.create_session(
        db, actor=student, client_id=client.id, assignment_id=assignment.id
    )
    for student_line, client_line in LINES:
        add_message(db, actor=student, session_id=session.id, content=student_line)
        add_reply(db, session_id=session.id, content=client_line)
    session_service.end_session(db, actor=student, session_id=session.id)
    review_service.create_demo_review(db, actor=student, session_id=session.id)
    row = db.scalar(select(SessionReview).where(SessionReview.session_id == session.id))
    rubric = RubricDefinition.model_validate(
        db.scalar(
            select(rubric_service.RubricVersion.definition).where(
                rubric_service.RubricVersion.id == row.rubric_version_id
            )
        )
    )
    kinds = ["open_question"] * len(STUDENT_TURNS)
    codes = [{"turn": t, "code": c} for t, c in zip(STUDENT_TURNS, kinds, strict=True)]
    rated = [
        {"criterion": c.key, "score": scores.get(c.key, 4), "reasoning": "As rated.", "turns": [1]}
        for c in rubric.criteria
    ]
    row.source = ReviewSource.model
    row.content = dict(row.content) | {"demo": False, "codes": codes, "scores": rated}
    row.indicators = dict(row.indicators) | counted.count_indicators(kinds, rubric)
    db.flush()
    return session.id


def _class(db):
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    section = make_section(db, teacher=teacher, name="Skills 101")
    week1 = make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 1")
    week5 = make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 5")
    return teacher, client, section, week1, week5


def _student(db, section, name: str):
    student = make_user(db, display_name=name)
    enroll(db, section=section, student=student)
    return student


# Criteria as rows by name ------------------------------------------------------------------------
def test_the_miti_relational_average_keeps_empathy_when_it_is_renamed(db):
    """What the teacher sees: in their copy of the MITI rubric they rename "Empathy" to
    "Accurate empathy" (MITI 3's name for it; meaning and anchors as they were). Ann's next
    session is rated Partnership 3 and Accurate empathy 5. Class progress (and Ann's My
    progress) give her "Relational average (partnership and empathy)" 3.0 and list her below
    fair on it (fair from 3.5), where (3 + 5) / 2 = 4.0 is good. Why it is wrong: the rename
    gave the criterion a fresh key ("accurate_empathy"), and the relational average is still
    counted over the keys "partnership" and "empathy" (`progress_service.SCORE_AVERAGES`), so it
    is partnership alone; rename both and the figure is gone. Before the fix the key stayed and
    the average was right."""
    teacher, client, section, _week1, week5 = _class(db)
    copy = _copy(db, teacher, "miti", "Our MI rubric")

    def rename(criteria):
        empathy = next(c for c in criteria if c["key"] == "empathy")
        empathy["name"] = "Accurate empathy"

    latest = _edit(db, teacher, copy, rename)
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    renamed = next(c.key for c in latest.criteria if c.name == "Accurate empathy")
    ann = _student(db, section, "Ann")
    _reviewed(db, ann, client, week5, partnership=3, **{renamed: 5})

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)

    (point,) = progress.points
    assert point.scores.get("partnership") == 3, point.scores
    assert point.scores.get("accurate_empathy") == 5, point.scores  # its row, by its name
    relational = point.indicators.get("relational_average")
    assert relational == 4.0, (
        f"Ann's relational average (partnership 3, accurate empathy 5) reads {relational}; "
        f"below fair: {[(b.measure, b.value) for b in progress.below_fair]}"
    )


def test_a_criterion_renamed_and_put_back_is_one_row(db):
    """What the teacher sees: in their copy of micro-skills they rename "Open questions" to
    "Summaries" for a week, then put it back exactly as it was (name, meaning, anchors).
    Class progress now lists "Open questions" twice in Scores per criterion, week 1's ratings
    in one row and week 5's in the other, each with its own mean, and nothing tells the rows
    apart; the demo review's open-question caps and the model's worked examples no longer
    apply to it. Why it is wrong: `rubric_service._rewritten_apart` compares a criterion with
    the latest version only, so the restored criterion gets yet another key
    ("open_questions_2") instead of the one every earlier version gave the same name and
    meaning."""
    teacher, client, section, week1, week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Week rubric")
    original = rubric_service.definition_of(rubric_service.latest_version(db, copy)).criteria[0]
    assert original.key == "open_questions"

    def to_summaries(criteria):
        criteria[0] |= {"name": "Summaries", "meaning": "Pulls together what the client said."}

    def back(criteria):
        criteria[0] |= {"name": original.name, "meaning": original.meaning}

    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week1.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    _reviewed(db, ann, client, week1, open_questions=2)  # under version 1
    _edit(db, teacher, copy, to_summaries)
    restored = _edit(db, teacher, copy, back)
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    _reviewed(db, ann, client, week5, **{restored.criteria[0].key: 2})  # under version 3

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)

    names = [row.name for row in progress.distribution]
    assert restored.criteria[0].key == "open_questions" and names.count(original.name) == 1, (
        f"restored as key {restored.criteria[0].key!r}; Scores per criterion lists "
        f"{[(row.name, row.criterion, row.mean) for row in progress.distribution]}"
    )


def test_two_criteria_whose_texts_were_swapped_keep_their_scores_apart(db):
    """What the teacher sees: the Rubrics page cannot reorder criteria, so to put "Empathy"
    first the teacher swaps the texts (name, meaning, anchors) of "Open questions" and
    "Empathy" in their copy of micro-skills. Class progress then lists "Open questions" twice
    and "Empathy" twice, week 1's and week 5's ratings of the same skill in different rows that
    read alike. Why it is wrong: a criterion whose name and meaning are exactly another
    criterion's of the rubric is that criterion; `_rewritten_apart` gives both fresh keys
    ("open_questions_2", "empathy_2") because each position's text changed."""
    teacher, client, section, week1, week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Week rubric")
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week1.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    _reviewed(db, ann, client, week1, open_questions=2, empathy=5)

    def swap(criteria):
        first = next(i for i, c in enumerate(criteria) if c["key"] == "open_questions")
        other = next(i for i, c in enumerate(criteria) if c["key"] == "empathy")
        texts = ("name", "meaning", "anchors")
        a = {k: criteria[first][k] for k in texts}
        b = {k: criteria[other][k] for k in texts}
        criteria[first] |= b
        criteria[other] |= a

    swapped = _edit(db, teacher, copy, swap)
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    by_name = {c.name: c.key for c in swapped.criteria}
    _reviewed(db, ann, client, week5, **{by_name["Open questions"]: 2, by_name["Empathy"]: 5})

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)

    names = [row.name for row in progress.distribution]
    assert len(names) == len(set(names)), (
        f"after the swap the keys are {by_name}; Scores per criterion lists "
        f"{[(row.name, row.criterion, row.mean) for row in progress.distribution]}"
    )


def test_a_reworded_meaning_keeps_one_row_for_its_criterion(db):
    """What the teacher sees: they fix a typo in the meaning of "Empathy" in their rubric
    ("recieves" for "receives"; the name stays). Class progress then shows two rows named
    "Empathy" in Scores per criterion, and the Below fair list can name Ann twice on
    "Empathy" with two different averages; nothing on the page says which is which (the
    sessions CSV heads them "empathy" and "empathy_2"). Why it is wrong: a rewritten meaning
    now makes a new criterion (`rubric_service._rewritten_apart`), but the figures still name
    criteria by their name alone (`progress_service._thresholds`), so two criteria read as one
    name; they should be told apart (say by the rubric version) or kept as one."""
    teacher, client, section, week1, week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Week rubric")
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week1.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    _reviewed(db, ann, client, week1, empathy=1)

    def typo(criteria):
        empathy = next(c for c in criteria if c["key"] == "empathy")
        empathy["meaning"] = empathy["meaning"] + " (Revised wording.)"

    edited = _edit(db, teacher, copy, typo)
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    new_key = next(c.key for c in edited.criteria if c.name == "Empathy")
    _reviewed(db, ann, client, week5, **{new_key: 2})

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)

    names = [row.name for row in progress.distribution]
    measures = [b.measure for b in progress.below_fair if b.student == "Ann"]
    assert names.count("Empathy") <= 1 and measures.count("Empathy") <= 1, (
        f"Scores per criterion: {[(r.name, r.criterion, r.mean) for r in progress.distribution]}; "
        f"Ann below fair on {[(b.measure, b.value) for b in progress.below_fair]}"
    )


def test_criteria_renamed_in_another_script_are_rows_of_their_own(db):
    """What the teacher sees: a teacher who writes in Russian copies micro-skills twice, one
    copy for week 1 (renames "Open questions" to "Открытые вопросы") and one for week 5
    (renames "Pacing" to "Темп"). Class progress (All assignments) has one row "Темп" that
    counts week 1's open-question ratings with week 5's pacing ones, and no row for
    "Открытые вопросы" at all: Ann, rated 1 on open questions in week 1, is listed below fair
    on "Темп". Why it is wrong: `rubric_service._fresh_key` keeps only a-z and 0-9 of the new
    name, so every criterion renamed in Cyrillic, Greek, Chinese... gets the key "criterion",
    and figures join criteria of one key across rubrics: the very mix-up the fix was for."""
    teacher, client, section, week1, week5 = _class(db)
    first = _copy(db, teacher, "micro_skills", "Неделя 1")
    second = _copy(db, teacher, "micro_skills", "Неделя 5")

    def rename(key: str, name: str):
        def change(criteria):
            next(c for c in criteria if c["key"] == key)["name"] = name

        return change

    one = _edit(db, teacher, first, rename("open_questions", "Открытые вопросы"))
    five = _edit(db, teacher, second, rename("pacing", "Темп"))
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week1.id, rubric_id=first)
    rubric_service.set_assignment_rubric(
        db, actor=teacher, assignment_id=week5.id, rubric_id=second
    )
    questions = next(c.key for c in one.criteria if c.name == "Открытые вопросы")
    pacing = next(c.key for c in five.criteria if c.name == "Темп")
    ann = _student(db, section, "Ann")
    bob = _student(db, section, "Bob")
    _reviewed(db, ann, client, week1, **{questions: 1})
    _reviewed(db, bob, client, week5, **{pacing: 5})

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)

    names = [row.name for row in progress.distribution]
    flagged = [(b.student, b.measure) for b in progress.below_fair]
    assert "Открытые вопросы" in names and ("Ann", "Темп") not in flagged, (
        f"keys {questions!r} and {pacing!r}; Scores per criterion: "
        f"{[(r.name, r.criterion, r.counts) for r in progress.distribution]}; below fair {flagged}"
    )
