"""Attacks on teachers' own rubrics (2026-12-07): a copy whose criterion the teacher rewrote,
next to the built-in it came from, in class figures, My progress, the demo review and the model's
prompt; and what the rubric pickers and the Rubrics page say about which rubric is in use and
whose it is.

On the Rubrics page a teacher's copy keeps every criterion's key (the form edits names,
meanings and anchors, and cannot add or remove a criterion), so the only way to score a skill
the built-in rubric lacks is to rewrite one of its criteria: here micro-skills' "Open questions"
becomes "Summaries"."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.db import unit_of_work
from backend.models import PracticeSession, Rubric, SessionReview
from backend.models.enums import Role
from backend.practice import conversation_service, session_service
from backend.reviews import progress_service, review_prompt, review_service, rubric_service
from backend.reviews.rubric_schema import RubricDefinition
from tests.apps.helpers import APP_PATH, assert_clean, log_in, open_page, teacher_app
from tests.factories import (
    add_message,
    add_reply,
    enroll,
    make_assignment,
    make_classroom,
    make_client,
    make_section,
    make_user,
)
from tests.integration.test_class_figures_hold_up import _reviewed

SUMMARIES = {
    "name": "Summaries",
    "meaning": "Pulls together what the client said into a summary now and then.",
    "anchors": {
        "1": "No summary at all.",
        "2": "One summary, inaccurate or unchecked.",
        "3": "An accurate summary.",
        "4": "Accurate summaries at the session's turning points.",
        "5": "Summaries that collect the client's change talk and move the session forward.",
    },
}


def _summaries_rubric(db, teacher) -> int:
    """The teacher's copy of micro-skills with "Open questions" rewritten as "Summaries"."""
    rubric_service.seed_builtin_rubrics(db)
    micro = db.scalar(
        select(Rubric.id).where(Rubric.key == "micro_skills", Rubric.owner_id.is_(None))
    )
    copy = rubric_service.copy_rubric(db, actor=teacher, rubric_id=micro, name="Week 5 rubric")
    definition = rubric_service.definition_of(rubric_service.latest_version(db, copy.id))
    edited = definition.model_dump(mode="json")
    assert edited["criteria"][0]["key"] == "open_questions"
    edited["criteria"][0] |= SUMMARIES
    rubric_service.update_rubric(db, actor=teacher, rubric_id=copy.id, definition=edited)
    return copy.id


def _rate(db, session_id: int, **scores: int) -> None:
    row = db.scalar(select(SessionReview).where(SessionReview.session_id == session_id))
    row.content = dict(row.content) | {
        "scores": [
            dict(item, score=scores.get(item["criterion"], item["score"]))
            for item in row.content["scores"]
        ]
    }
    db.flush()


def _two_rubric_section(db):
    """Week 1 under the built-in micro-skills rubric, week 5 under the teacher's Summaries copy."""
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    section = make_section(db, teacher=teacher, name="Skills 101")
    week1 = make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 1")
    week5 = make_assignment(db, teacher=teacher, section=section, clients=[client], title="Week 5")
    copy = _summaries_rubric(db, teacher)
    rubric_service.set_assignment_rubric(db, actor=teacher, assignment_id=week5.id, rubric_id=copy)
    return teacher, client, section, week1, week5


def test_class_progress_lists_a_student_below_fair_on_a_criterion_her_rubric_never_had(db):
    """What the teacher sees: Class progress (All assignments) lists Ann as below fair on
    "Summaries" (1.0), and the "Summaries" row of the score distribution counts her 1. Ann's only
    session is week 1, reviewed under the built-in rubric, which has no "Summaries": her 1 was
    for "Open questions". Why it is wrong: criteria are merged by key across rubrics and named
    by the most recent rubric's wording (`progress_service._thresholds`), so the teacher's
    rewritten criterion takes over another rubric's ratings; the teacher would send Ann to
    practise summaries, and the Summaries mean mixes two different skills."""
    teacher, client, section, week1, week5 = _two_rubric_section(db)
    ann = make_user(db, display_name="Ann")
    bob = make_user(db, display_name="Bob")
    for student in (ann, bob):
        enroll(db, section=section, student=student)
    ann_session = _reviewed(db, ann, client, week1, reflections=5, questions=2)
    _rate(db, ann_session, open_questions=1)  # Ann: 1 on "Open questions", 4 on the rest
    _reviewed(db, bob, client, week5, reflections=5, questions=2)  # Bob: 4 on everything

    progress = progress_service.class_progress(db, actor=teacher, section_id=section.id)

    flagged = [(item.student, item.measure) for item in progress.below_fair]
    assert ("Ann", "Summaries") not in flagged, (
        f"Ann, never reviewed under a rubric with Summaries, is listed below fair on it: {flagged}"
    )
    summaries = [row for row in progress.distribution if row.name == "Summaries"]
    assert all(row.counts[1] == 0 for row in summaries), (
        "the Summaries distribution counts Ann's Open questions rating of 1: "
        f"{[(row.name, row.counts, row.mean) for row in progress.distribution]}"
    )


def test_my_progress_charts_an_open_questions_rating_as_summaries(db):
    """What the student sees: My progress's Ratings chart has one line "Summaries" from session
    1 (her week-1 review, built-in rubric, rated on "Open questions") to session 2 (week 5, the
    teacher's copy). Her first review never mentioned Summaries; her "Open questions" line is
    gone. Why it is wrong: `student_progress` names each criterion key once, by the most recent
    rubric (`progress_service._thresholds`), and the chart draws every session's rating under
    that name."""
    teacher, client, section, week1, week5 = _two_rubric_section(db)
    ann = make_user(db, display_name="Ann")
    enroll(db, section=section, student=ann)
    first = _reviewed(db, ann, client, week1, reflections=5, questions=2)
    _rate(db, first, open_questions=1)
    _reviewed(db, ann, client, week5, reflections=5, questions=2)
    rows = db.scalars(select(SessionReview)).all()
    for row in rows:
        review_service.release_review(db, actor=teacher, session_id=row.session_id)

    progress = progress_service.student_progress(db, actor=ann)
    point = next(p for p in progress.points if p.session_id == first)
    charted = {c.name for c in progress.criteria if c.key in point.scores}
    own = {
        c.name for c in review_service.get_review_rubric(db, actor=ann, session_id=first).criteria
    }
    assert charted <= own, (
        f"session 1's ratings are charted under {sorted(charted - own)}, criteria its review "
        f"(rubric: {point.rubric}) does not have"
    )


REFLECTING = [
    ("It sounds like work has been wearing you down.", "It has. I'm tired all the time."),
    ("You're exhausted, and it's been going on for a while.", "Months. Since the new manager."),
    ("Things changed when the new manager arrived.", "He piles everything on me."),
    ("You feel like you're carrying more than your share.", "Exactly. Nobody else stays late."),
    ("Staying late has become your normal, and it's costing you.", "My kids barely see me."),
    ("Missing time with your kids hurts the most.", "It does. My daughter asked where I was."),
    ("Her question stayed with you.", "I cried in the car after."),
    (
        "So let me sum up: the job has grown, your evenings have gone, and your family is "
        "feeling it.",
        "Yes, that's it.",
    ),
    ("Part of you wonders whether this job is worth it.", "I've started looking at other jobs."),
    ("You're already taking steps toward something different.", "Small ones. But yes."),
    ("You're ready to put your family first, even if it's scary.", "I think I am."),
]


def test_the_demo_review_rates_a_rewritten_criterion_by_a_count_of_another_skill(db):
    """What the student reads (automatic demo review, the teacher's Summaries copy): a session of
    eleven reflections, one of them a summary ("So let me sum up: ..."), counted score 100, is
    rated "Summaries: 1/5 ... at most 1 here: you asked no question". Why it is wrong: the demo
    review caps criteria by key (`offline_review._count_caps`: "open_questions" at 1 when no
    question was asked), whatever the criterion now measures; the student is told their
    summarising failed because they asked no question. The review may rate the criterion only
    from the counted score (it says "Counted, not judged"), not by a count that speaks to
    another skill."""
    room = make_classroom(db)
    copy = _summaries_rubric(db, room.teacher)
    rubric_service.set_section_rubric(
        db, actor=room.teacher, section_id=room.section.id, rubric_id=copy
    )
    session = session_service.create_session(db, actor=room.student, client_id=room.client.id)
    for said, answered in REFLECTING:
        content = conversation_service.validate_content(said)
        add_message(db, actor=room.student, session_id=session.id, content=content)
        add_reply(db, session_id=session.id, content=answered)
    session_service.end_session(db, actor=room.student, session_id=session.id)
    review_service.create_demo_review(db, actor=room.student, session_id=session.id)
    review = review_service.get_review(db, actor=room.student, session_id=session.id)
    rubric = review_service.get_review_rubric(db, actor=room.student, session_id=session.id)
    names = {c.key: c.name for c in rubric.criteria}
    shown = {names[s.criterion]: (s.score, s.reasoning) for s in review.content.scores}

    score, reasoning = shown["Summaries"]
    because = reasoning.partition("scale")[2]  # after the counted score's formula
    assert "question" not in because, (
        f"the student reads 'Summaries: {score}/5' because of their questions: ...{because}"
    )


def test_the_model_is_shown_worked_examples_scoring_the_rewritten_criterion_as_open_questions(
    db,
):
    """What the model is told (the review prompt's cached prefix) under the teacher's Summaries
    copy: the rubric JSON says criterion "open_questions" is "Summaries", and then the built-in
    rubric's worked examples score that very criterion 5 because "Every question you asked to
    explore was open" and 2 for a question "answered with yes or no". Why it is wrong: the
    examples are kept because they still validate (same keys: `review_prompt.worked_examples`),
    not because they still fit the criterion's wording; they teach the model to score the
    teacher's Summaries by open questions, which the student and the gradebook then read."""
    teacher = make_user(db, role=Role.teacher)
    copy = _summaries_rubric(db, teacher)
    rubric = RubricDefinition.model_validate(rubric_service.latest_version(db, copy).definition)
    prefix = review_prompt.instructions(rubric)
    examples = review_prompt.worked_examples(rubric)
    scored_on_questions = [
        (example.title, item["score"], item["reasoning"][:70])
        for example in examples
        for item in example.review["scores"]
        if item["criterion"] == "open_questions"
    ]
    taught = "Every question you asked to explore was open" in prefix
    assert not taught and not scored_on_questions, (
        f"worked examples score the teacher's Summaries by open questions: {scored_on_questions}"
    )


# The pickers and the Rubrics page ------------------------------------------------------------
def _micro(db, actor):
    return next(r for r in rubric_service.list_rubrics(db, actor=actor) if r.key == "micro_skills")


def test_a_sections_picker_shows_the_built_in_default_while_its_reviews_use_the_admins_rubric(
    app, app_db, teacher
):
    """What the teacher sees: on Sections & assignments, "Default rubric for this section's
    assignments" reads "Core counseling micro-skills (built-in default)". The section's reviews
    use "Course rubric", which an admin made for the course and set on the section (the README:
    a rubric an admin made for a course travels with it). Why it is wrong: the picker lists only
    the rubrics the teacher may read (built-ins and their own), and a stored rubric not among
    them is dropped from the box (`rubric_picker`: `st.session_state.pop(key)`), so the box shows
    the default; the teacher believes reviews use micro-skills, and choosing anything in the box
    loses the admin's rubric with no way back."""
    with unit_of_work(app_db) as db:
        admin = make_user(db, role=Role.admin, username="ada.admin", display_name="Ada Admin")
        student = make_user(db, username="sam.student", display_name="Sam Student")
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        enroll(db, section=section, student=student)
        make_assignment(db, teacher=teacher, section=section, clients=[client])
        course = rubric_service.copy_rubric(
            db, actor=admin, rubric_id=_micro(db, admin).id, name="Course rubric"
        )
        rubric_service.set_section_rubric(
            db, actor=admin, section_id=section.id, rubric_id=course.id
        )
        session = session_service.create_session(db, actor=student, client_id=client.id)
        used = rubric_service.rubric_for_session(db, db.get(PracticeSession, session.id))
    assert used.rubric_id == course.id  # reviews in this section use the admin's rubric

    at = open_page(teacher_app(app), "Sections & assignments")
    assert_clean(at)
    box = at.selectbox(key=f"section_rubric_{section.id}")
    shown = box.format_func(box.value)
    assert "built-in default" not in shown, (
        f"the section's picker reads {shown!r}; its reviews use the admin's 'Course rubric'"
    )


def test_the_admins_rubrics_page_calls_another_teachers_rubric_yours(app, app_db, teacher):
    """What the admin sees: the Rubrics page's box lists Tina's copy as "Tina's rubric (yours,
    version 1)", and the page below says "Another teacher's rubric". Why it is wrong:
    `rubrics._label` (and `rubric_picker` on the Sections page) calls every rubric that is not
    built-in "yours", while an admin is shown every teacher's rubric."""
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin", display_name="Ada Admin")
        rubric_service.copy_rubric(
            db, actor=teacher, rubric_id=_micro(db, teacher).id, name="Tina's rubric"
        )
    at = log_in(AppTest.from_file(APP_PATH, default_timeout=30).run(), "ada.admin")
    at = open_page(at, "Rubrics")
    assert_clean(at)
    options = at.selectbox(key="rubric_id").options
    mislabelled = [label for label in options if label.startswith("Tina's rubric (yours")]
    assert not mislabelled, f"the admin's Rubrics page lists {mislabelled}"


def test_two_copies_of_a_rubric_cannot_be_told_apart_in_the_pickers(app, app_db, teacher):
    """What the teacher sees: after "Make a copy" twice on the built-in micro-skills rubric (one
    to try out, one for week 5), the Rubrics page lists two identical "Core counseling
    micro-skills (copy) (yours, version 1)" and the assignment's "Rubric for reviews" box two
    identical "Core counseling micro-skills (copy) (yours)": which one the assignment uses, or
    which one is being edited, cannot be told. Why it is wrong: `copy_rubric` names every copy
    "<name> (copy)" and the pickers label rubrics by name only, while every other picker of
    the app tells two things of one name apart (sections, assignments, students)."""
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        section = make_section(db, teacher=teacher, name="Skills 101")
        assignment = make_assignment(db, teacher=teacher, section=section, clients=[client])
    at = open_page(teacher_app(app), "Rubrics")
    at.selectbox(key="rubric_id").set_value(_micro_id(app_db, teacher)).run()
    at.button(key="copy_rubric").click().run()
    at.selectbox(key="rubric_id").set_value(_micro_id(app_db, teacher)).run()
    at.button(key="copy_rubric").click().run()
    assert_clean(at)
    labels = at.selectbox(key="rubric_id").options
    assert len(set(labels)) == len(labels), f"the Rubrics page lists {labels}"

    at = open_page(at, "Sections & assignments")
    assert_clean(at)
    choices = at.selectbox(key=f"assignment_rubric_{assignment.id}").options
    assert len(set(choices)) == len(choices), f"the assignment's rubric box lists {choices}"


def _micro_id(app_db, teacher) -> int:
    with unit_of_work(app_db) as db:
        return next(
            r.id
            for r in rubric_service.list_rubrics(db, actor=teacher)
            if r.key == "micro_skills" and r.builtin
        )
