"""A teacher's edited rubrics whose names read alike (an attack on the day's fixes, 2026-12-07):
rows by name, the sessions CSV after the re-keying, the agreement figures, and what is written for
a built-in criterion (the demo review's caps) under a teacher's copy."""

from __future__ import annotations

import csv
import io
import unicodedata

from sqlalchemy import select

from backend.errors import ValidationError
from backend.models import SessionReview
from backend.models.enums import Role
from backend.reviews import agreement_service, progress_service, rubric_service
from backend.reviews.offline_review import offline_review
from backend.reviews.read_models import rubric_labels
from backend.reviews.rubrics import load_builtin_rubrics
from backend.reviews.turns import Turn
from tests.factories import make_user
from tests.integration.test_edited_rubrics_in_class_figures import (
    _class,
    _copy,
    _edit,
    _reviewed,
    _student,
)

MICRO = next(rubric for rubric in load_builtin_rubrics() if rubric.key == "micro_skills")


def _rename(key: str, name: str, meaning: str | None = None):
    def change(criteria):
        criterion = next(c for c in criteria if c["key"] == key)
        criterion["name"] = name
        if meaning is not None:
            criterion["meaning"] = meaning

    return change


def _csv(progress) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(progress_service.gradebook_csv(progress))))


# Two criteria of one name in one rubric ---------------------------------------------------------
def test_two_criteria_of_one_name_in_one_rubric_keep_both_ratings(db):
    """What the teacher sees: in their copy of micro-skills they rename "Pacing" to "Empathy"
    (the Rubrics page lets them: nothing says another criterion has that name). Ann's review
    rates Empathy 1 and the second "Empathy" 5. Class progress counts only one of the two
    ratings: "Scores per criterion" has 5 ratings for her 6, the mean of "Empathy" is 5.0, she
    is not listed below fair, and the sessions CSV has one empathy cell: her 1 is gone from
    every class figure (and from her My progress). Why it is wrong: `progress_service.
    _thresholds` makes one row per criterion NAME and, for the second criterion of a name in
    the same rubric, writes its score over the first's (`moved[row] = ...`). Either the rubric
    should refuse two criteria of one name, or the figures keep both."""
    teacher, client, section, _week1, week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Two empathies")
    try:
        _edit(db, teacher, copy, _rename("pacing", "Empathy"))
    except ValidationError:
        return  # refused: the rubric never holds two criteria of one name (a fix)
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    _reviewed(db, ann, client, week5, empathy=1, pacing=5)

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)

    rated = sum(sum(row.counts.values()) for row in progress.distribution)
    (row,) = _csv(progress)
    cells = [row[c.key] for c in progress.criteria if row.get(c.key)]
    assert rated == len(MICRO.criteria) and len(cells) == len(MICRO.criteria), (
        f"Ann's review has {len(MICRO.criteria)} ratings (Empathy 1, the other Empathy 5); "
        f"Scores per criterion counts {rated}: "
        f"{[(r.name, r.counts, r.mean) for r in progress.distribution]}; CSV cells {cells}; "
        f"below fair {[(b.student, b.measure, b.value) for b in progress.below_fair]}"
    )


# The sessions CSV after the re-keying --------------------------------------------------------------
def test_the_sessions_csv_never_heads_a_rewritten_criterion_with_the_key_it_replaced(db):
    """What the teacher sees: their copy of micro-skills scored week 1 with "Open questions";
    for week 5 they rewrote that criterion as "Summaries". Class progress now shows two rows,
    "Open questions" and "Summaries". They pick Assignment "Week 5" and download the sessions
    CSV: its column "open_questions" holds Ann's Summaries rating (1), and the CSV names
    "Summaries" nowhere. With "All assignments" the same rating sits under "open_questions_2".
    The spreadsheet says Ann scored 1 on open questions: the very mix-up the 2026-12-07 fix was
    for, now in the file. Why it is wrong: `progress_service.gradebook_csv` heads the criteria
    columns with the rows' keys, and `_thresholds`/`_unused` give a row the first criterion key
    that is free in this selection, so a column's header depends on which sessions are in the
    file and names the criterion the rating is not for."""
    teacher, client, section, week1, week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Week rubric")
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week1.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    _reviewed(db, ann, client, week1, open_questions=4)
    _edit(
        db,
        teacher,
        copy,
        _rename("open_questions", "Summaries", "Pulls together what the client said."),
    )
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    summaries = _reviewed(db, ann, client, week5, open_questions=1)  # Summaries rated 1

    headers = {}
    for label, assignment_id in (("Week 5", week5.id), ("All assignments", None)):
        progress = progress_service.class_progress(
            db, actor=teacher, section_id=section.id, assignment_id=assignment_id
        )
        keys = {c.key for c in progress.criteria}
        row = next(r for r in _csv(progress) if r["session_id"] == str(summaries))
        headers[label] = [key for key in row if key in keys and row[key] == "1"]

    assert all(cols and "open_questions" not in cols[0] for cols in headers.values()), (
        f"the column holding Ann's Summaries rating is headed {headers}"
    )


# Agreement figures ----------------------------------------------------------------------------
def _teacher_scored(db, teacher, session_id: int, **scores: int) -> None:
    """The teacher's saved version of the review, with `scores` (by key) changed."""
    row = db.scalar(select(SessionReview).where(SessionReview.session_id == session_id))
    content = dict(row.content)
    content["scores"] = [
        item | {"score": scores.get(item["criterion"], item["score"])} for item in content["scores"]
    ]
    row.teacher_content = content
    row.teacher_indicators = dict(row.indicators)
    row.reviewed_by_id = teacher.id
    db.flush()


def test_agreement_keeps_a_rewritten_criterion_apart_from_the_one_it_replaced(db):
    """What the teacher sees: on Reviews > Agreement, their rubric's "Summaries" reads 2 pairs,
    0% exact agreement, a mean difference of 2.0, and "Open questions" is not listed at all.
    Only one pair is a Summaries rating (model 3, teacher 3: full agreement); the other is week
    1's open-questions rating (model 5, teacher 1), from before "Open questions" was rewritten
    as "Summaries". Class progress keeps the two criteria apart (rows by name); the agreement
    figures join them, under the newest name. Why it is wrong: `agreement_service.agreement`
    groups pairs by (rubric id, criterion key) and names the row after the last review's
    criterion name, so a criterion rewritten to score something new is counted as the one it
    replaced: the figure meant to tell the teacher whether to trust the model's "Summaries"
    ratings is mostly about open questions."""
    teacher, client, section, week1, week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Week rubric")
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week1.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    first = _reviewed(db, ann, client, week1, open_questions=5)
    _teacher_scored(db, teacher, first, open_questions=1)
    _edit(
        db,
        teacher,
        copy,
        _rename("open_questions", "Summaries", "Pulls together what the client said."),
    )
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    second = _reviewed(db, ann, client, week5, open_questions=3)
    _teacher_scored(db, teacher, second, open_questions=3)

    rows = agreement_service.agreement(db, actor=teacher)

    by_name = {row.criterion_name: (row.pairs, row.exact, row.mean_abs_diff) for row in rows}
    assert by_name.get("Summaries") == (1, 1.0, 0.0) and by_name.get("Open questions") == (
        1,
        0.0,
        4.0,
    ), f"agreement rows (pairs, exact, mean difference): {by_name}"


# The demo review's caps under a copy -----------------------------------------------------------
def test_the_demo_review_still_caps_open_questions_when_only_its_capitals_change():
    """What the student sees: their teacher's copy of micro-skills writes "Open Questions"
    (capital Q; meaning and anchors as built). In a long session of reflections where the
    student asked no question at all, the demo review rates "Open Questions" 5/5, "counted,
    not judged"; under the built-in rubric (or a copy that kept "Open questions") the same
    session is rated 1/5 "at most 1 here: you asked no question". Why it is wrong:
    `rubrics.as_built` compares the criterion's name with the built-in one character for
    character, so a change of case (or of spacing) turns off the caps written for the
    criterion, and with them the worked examples the model is shown."""
    pairs = [
        ("It sounds like work has been really hard on you.", "It has. I'm exhausted all the time.")
    ] * 10
    turns = [
        Turn(number, role, text)
        for index, (student, client) in enumerate(pairs)
        for number, role, text in (
            (2 * index + 1, "user", student),
            (2 * index + 2, "assistant", client),
        )
    ]
    recased = MICRO.model_copy(
        update={
            "criteria": [
                c.model_copy(update={"name": "Open Questions"}) if c.key == "open_questions" else c
                for c in MICRO.criteria
            ]
        }
    )

    built = {s.criterion: s for s in offline_review(turns, MICRO).scores}
    copied = {s.criterion: s for s in offline_review(turns, recased).scores}

    assert built["open_questions"].score == 1, built["open_questions"]
    assert copied["open_questions"].score == built["open_questions"].score, (
        f"'Open Questions' rated {copied['open_questions'].score}/5 with no question asked: "
        f"{copied['open_questions'].reasoning}"
    )


def test_the_demo_review_caps_open_questions_after_the_teacher_swapped_two_criteria():
    """What the student sees: the Rubrics page cannot reorder criteria, so their teacher put
    "Empathy" first by swapping the texts (name, meaning, anchors) of "Open questions" and
    "Empathy" in a copy of micro-skills. In a long session of reflections where the student
    asked no question at all, the demo review now rates "Open questions" 5/5 ("counted, not
    judged"); under the built-in rubric the same session is rated 1/5 on "Open questions", "at
    most 1 here: you asked no question". Class progress follows the swap (rows by name: the
    scores stay on "Open questions"), the caps do not. Why it is wrong: `rubrics.as_built`
    and `offline_review._scores` look a cap up by the criterion's KEY and then check its
    name, so the cap written for "Open questions" is dropped once that name sits under
    another key, though the criterion keeps its built-in name (README: the caps apply "while
    the criterion keeps its built-in name")."""
    pairs = [
        ("It sounds like work has been really hard on you.", "It has. I'm exhausted all the time.")
    ] * 10
    turns = [
        Turn(number, role, text)
        for index, (student, client) in enumerate(pairs)
        for number, role, text in (
            (2 * index + 1, "user", student),
            (2 * index + 2, "assistant", client),
        )
    ]
    by_key = {c.key: c for c in MICRO.criteria}
    texts = ("name", "meaning", "anchors")

    def swapped(criterion):
        other = {"open_questions": "empathy", "empathy": "open_questions"}.get(criterion.key)
        if other is None:
            return criterion
        return criterion.model_copy(update={t: getattr(by_key[other], t) for t in texts})

    swap = MICRO.model_copy(update={"criteria": [swapped(c) for c in MICRO.criteria]})
    names = {c.key: c.name for c in swap.criteria}

    built = {by_key[s.criterion].name: s for s in offline_review(turns, MICRO).scores}
    copied = {names[s.criterion]: s for s in offline_review(turns, swap).scores}

    assert built["Open questions"].score == 1, built
    assert copied["Open questions"].score == 1, (
        f"'Open questions' rated {copied['Open questions'].score}/5 with no question asked: "
        f"{copied['Open questions'].reasoning}"
    )


# Names that read alike ------------------------------------------------------------------------
def test_a_criterion_renamed_to_a_name_that_reads_the_same_stays_one_row(db):
    """What the teacher sees: they renamed "Empathy" to "Écoute empathique" in their copy for
    week 1; for week 5 they pasted the same name from their course handbook (a PDF, whose "É"
    is an E and a combining accent). Class progress shows two rows that read exactly
    "Écoute empathique", with different means, and the Below fair list can name Ann twice on
    "Écoute empathique". Why it is wrong: `progress_service._thresholds` makes rows by the
    name's exact characters, and rubric names are stored unnormalised (the app's own
    `utils.text.as_shown` treats such names as one for accounts); two rows the teacher cannot
    tell apart should be one, or be told apart."""
    teacher, client, section, week1, week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Semaine")
    typed = unicodedata.normalize("NFC", "Écoute empathique")
    pasted = unicodedata.normalize("NFD", "Écoute empathique")
    _edit(db, teacher, copy, _rename("empathy", typed))
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week1.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    _reviewed(db, ann, client, week1, empathy=1)
    _edit(db, teacher, copy, _rename("empathy", pasted))
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    _reviewed(db, ann, client, week5, empathy=2)

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)

    shown = [unicodedata.normalize("NFC", row.name) for row in progress.distribution]
    assert len(shown) == len(set(shown)), (
        f"Scores per criterion reads {[(r.name, r.mean) for r in progress.distribution]}; "
        f"below fair {[(b.student, b.measure, b.value) for b in progress.below_fair]}"
    )


def test_two_rubrics_whose_names_read_alike_are_told_apart_in_the_picker(db):
    """What the teacher sees: they made two copies of micro-skills, naming one "Écoute" by
    typing it and the other "Écoute" pasted from a PDF (an E and a combining accent). The
    rubric pickers (Sections & assignments) and the Rubrics page list two options that read
    exactly "Écoute (yours)", and they cannot tell which one an assignment will use. Why it is
    wrong: `read_models.rubric_labels` (through `formatting.told_apart`) tells two rubrics apart
    only when their names are the same characters; names that read alike (`utils.text.
    as_shown`) should get "#id" as two copies of one name do (an attack, 2026-12-07)."""
    teacher = make_user(db, role=Role.teacher)
    _copy(db, teacher, "micro_skills", unicodedata.normalize("NFC", "Écoute"))
    _copy(db, teacher, "micro_skills", unicodedata.normalize("NFD", "Écoute"))
    rubrics = rubric_service.list_rubrics(db, actor=teacher)

    labels = rubric_labels(rubrics, teacher.id)
    shown = [unicodedata.normalize("NFC", label) for label in labels.values()]
    assert len(shown) == len(set(shown)), f"the picker reads {shown}"
    # Said once whose each is ("Écoute (yours) #3 (yours)" had said it twice: a reread, 2026-12-07).
    assert all(label.count("(yours)") <= 1 for label in shown), shown


def test_a_version_saved_before_with_two_criteria_of_one_name_is_still_read(db):
    """Two criteria of one name are refused when a rubric is saved, never when a stored version
    is read: a copy saved before the rule (the form had let "Pacing" be renamed "Empathy") still
    opens and still counts in class progress. (An attack on the day's fixes, 2026-12-07.)"""
    from backend.models import RubricVersion

    teacher, client, section, week1, _week5 = _class(db)
    copy = _copy(db, teacher, "micro_skills", "Old copy")
    latest = rubric_service.latest_version(db, copy)
    stored = rubric_service.definition_of(latest).model_dump(mode="json")
    pacing = next(c for c in stored["criteria"] if c["key"] == "pacing")
    pacing["name"] = "Empathy"
    db.add(RubricVersion(rubric_id=copy, version=latest.version + 1, definition=stored))
    db.flush()
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week1.id, rubric_id=copy)
    ann = _student(db, section, "Ann")
    _reviewed(db, ann, client, week1)
    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)
    assert [point.student for point in progress.points] == ["Ann"]
    assert rubric_service.get_rubric(db, actor=teacher, rubric_id=copy).version == 2
