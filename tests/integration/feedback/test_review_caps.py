"""The demo review's per-criterion caps (`offline_review._count_caps`) and parroting
(`coding.parrots`), as the student reads the review (`student_view`): from an attack, 2026-12-06."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# Ten reflections and not one question: warm, but the rubric's Open questions 1 is "Almost only
# closed questions or none at all".
NO_QUESTIONS = [
    ("It sounds like coming here today wasn't really your idea.", "My wife made me come. She thinks I drink too much."),
    ("You're here because your wife is worried, and you're not sure she's right.", "Yeah. I mean, everyone drinks on weekends."),
    ("Drinking on weekends feels normal to you, like what everyone does.", "Exactly. Though I did miss work last Monday."),
    ("Missing work on Monday bothered you a bit.", "It did. My boss noticed."),
    ("You're worried about what your boss thinks.", "I need this job. The kids and all."),
    ("Your job matters a lot because your family depends on it.", "Yeah. Maybe I should cut back a little."),
    ("Part of you is starting to think cutting back might help.", "Maybe. I don't know."),
    ("You're not sure yet, and that's okay.", "I just don't want to be told what to do."),
    ("You want to decide this for yourself.", "Right. It's my life."),
    ("It's your life, and you're the one who knows it best.", "Thanks. That helps."),
]  # fmt: skip


def test_a_session_without_a_single_question_is_not_rated_five_on_open_questions(db):
    """Open questions is held down by the share of open questions, but a session with none has no
    share and keeps the counted 5/5, beside a goal that tells the student to ask open
    questions."""
    seen = review_as_student(db, NO_QUESTIONS)
    assert seen.ratings, seen.describe()
    assert seen.review.indicators.get("questions") == 0
    assert seen.rating("Open questions") <= 2, f"goal: {seen.goal!r}\n{seen.describe()}"


# A resistant teenager who answers in a word; every student turn is one short reflection (at most
# 12 words), none a speech, a stacked question or a change of topic.
TACITURN_CLIENT = [
    ("It sounds like coming here today wasn't your idea.", "Nope."),
    ("Your mom made you come, and you'd rather be anywhere else.", "Yeah."),
    ("You're pretty annoyed about being dragged in here.", "Whatever."),
    ("It feels pointless to talk to someone like me.", "Kinda."),
    ("Part of you is tired of adults telling you what to do.", "Yep."),
    ("You want to make your own decisions about your life.", "Obviously."),
    ("You're used to people not really listening to you.", "Sure."),
    ("It's frustrating when nobody ever hears your side.", "Yeah."),
    ("You'd like someone to just listen for once.", "Maybe."),
    ("Maybe, and you're not sure I will.", "Yeah."),
]


def test_short_reflections_to_a_one_word_client_are_not_rated_as_long_speeches(db):
    """Pacing 1 is "Rushes: stacked questions, abrupt topic changes, long speeches"; the talk share
    cap gives it to brief reflections because the client says one word a turn, while the same
    turns are praised as strengths."""
    seen = review_as_student(db, TACITURN_CLIENT)
    assert max(len(text.split()) for text, _client in TACITURN_CLIENT) <= 12
    assert seen.ratings, seen.describe()
    assert seen.rating("Pacing") > 1, "\n".join(seen.reasoning[-1:]) + "\n" + seen.describe()


# Parroting: "I was ..." handed back as "You were ..."; "We ..." as "You ...".
PARROT_PAST = [
    ("What brings you in today?", "My sister's wedding. I was so embarrassed at the party."),
    ("You were so embarrassed at the party.", "Yes. I drank too much and made a speech."),
    ("What happened after the speech?", "We had a huge fight in the parking lot."),
    ("You had a huge fight in the parking lot.", "And now she won't talk to me."),
]


def test_a_parrot_in_the_past_tense_or_first_person_plural_is_not_praised(db):
    """'I was so embarrassed at the party.' -> 'You were so embarrassed at the party.' was seen
    as a parrot (and put under Try instead) before 5cc95d0; the merged persons dropped the
    was/were and we/our turns, so both parrots are now praised as strengths."""
    seen = review_as_student(db, PARROT_PAST)
    praised = {s.turn: s.quote for s in seen.strengths}
    assert 3 not in praised and 7 not in praised, seen.describe()
