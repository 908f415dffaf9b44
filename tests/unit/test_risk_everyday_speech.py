"""An attack on the wider risk phrase lists (backend/reviews/risk.py, c99b3e6).

A client turn the check flags, which the student's next turn does not "answer", removes every
rating of the review and shows a red notice to the student; a student turn counted as answering
hides a real risk. Both lists are matched as whole-word phrases anywhere in the turn."""

from __future__ import annotations

import pytest

from backend.reviews import progress_service, risk
from backend.reviews.offline_review import offline_review
from backend.reviews.rubrics import load_builtin_rubrics
from backend.reviews.turns import Turn

MICRO = next(r for r in load_builtin_rubrics() if r.key == "micro_skills")
MOVING_ON = "What else has been going on this week?"


def _conversation(client_line: str, student_reply: str) -> list[Turn]:
    """Eight student turns (enough for verdicts), the client's line before the last one."""
    turns: list[Turn] = []
    ordinary = [
        ("What brings you in today?", "I've been stressed about school."),
        ("It sounds like school has been weighing on you.", "Yeah, a lot of deadlines."),
        ("Tell me more about the deadlines.", "Three papers due next week."),
        ("You're juggling a lot at once.", "Exactly, and I'm behind."),
        ("Being behind worries you.", "It does, I hate letting people down."),
        ("You care about not letting people down.", "My parents expect a lot."),
        ("What do they expect?", client_line),
    ]
    for student, client in ordinary:
        turns.append(Turn(len(turns) + 1, "user", student))
        turns.append(Turn(len(turns) + 1, "assistant", client))
    turns.append(Turn(len(turns) + 1, "user", student_reply))
    return turns


EVERYDAY = [
    "My mom is going to kill me if she finds out I failed chemistry.",
    "My boss is gonna kill me if I'm late again.",
    "I'm going to kill it at the interview tomorrow, I've practised a lot.",
    "I've been overdosing on coffee to get through finals.",
    "I never wake up early enough for my 8am class.",
    "I want to kill some time before my shift, so I scroll my phone.",
    "I'll kill two birds with one stone and study at the gym.",
]


@pytest.mark.parametrize("said", EVERYDAY)
def test_everyday_speech_is_not_flagged_as_risk(said):
    """Idioms a student client says every day ("my mom is going to kill me") are neither
    self-harm nor harm to someone else; a flag the student 'passes over' removes the review's
    ratings and puts a red risk notice on it."""
    turns = _conversation(said, MOVING_ON)
    assert risk.check(turns) == []


def test_an_idiom_does_not_remove_the_ratings_of_a_good_session():
    """What the student sees: a session of reflections and open questions, the client says
    "My mom is going to kill me if she finds out I failed chemistry", the student asks an open
    question. The review should keep its ratings and set no risk goal."""
    turns = _conversation(EVERYDAY[0], MOVING_ON)
    content = offline_review(turns, MICRO)
    shown = progress_service.verdicts_shown(
        {"enough_evidence": True}, content.model_dump(mode="json"), by_teacher=False
    )
    assert shown, [item.note for item in content.risk]
    assert "harming" not in content.goal


SUICIDAL = "Honestly I've been thinking about killing myself."


@pytest.mark.parametrize(
    "reply",
    [
        "Did it hurt your feelings when your dad said that?",
        "Would drinking more harm your health, do you think?",
        "That must kill your motivation to study.",
        "I don't want to hurt your feelings, but what else is going on with school?",
    ],
)
def test_a_reply_that_moves_on_is_not_counted_as_answering_a_suicide_statement(reply):
    """RESPONSE now holds "hurt your", "harm your" and "kill your": everyday words that do not
    ask about the risk. Counted as a response, the passed-over risk is hidden from the student
    and the ratings stand ("a miss here hides a risk", risk.py)."""
    [item] = risk.check(_conversation(SUICIDAL, reply))
    assert not item.responded, item.note


ANNOMI_NOT_SELF_HARM = [
    # AnnoMI (Wu et al., 2022), training split: every one of its self-harm flags was one of these.
    "I'll really fall and hurt myself, and this way, if I don't move around so much, there's "
    "less chance that I will.",  # 56
    "Well, uh, I don't want to have an overdose and I don't want to get an infection. Seems "
    "like easy things to do.",  # 55
    "But no, mostly I just keep it in case I overdose, uh, and, uh, I'm realizing now I have it "
    "but I haven't told my roommate about it so-",  # 55
    "And so, do I wanna eventually hurt myself in the long run? Or, you know, help myself.",  # 110
]


@pytest.mark.parametrize("said", ANNOMI_NOT_SELF_HARM)
def test_an_accident_or_an_overdose_guarded_against_is_no_self_harm(said):
    """Read on real sessions, every self-harm flag of AnnoMI's training split was a false
    alarm, and each set a skilled session's goal to asking about self-harm (an attack,
    2026-12-07)."""
    assert risk.check(_conversation(said, MOVING_ON)) == []


def test_a_question_back_about_the_risk_the_student_raised_is_no_disclosure():
    """AnnoMI 111: the counselor names exceptions to privacy, "if we're concerned about your
    safety"; the client asks "What, like suicidal?" and says she would never do that."""
    turns = _conversation("I don't know.", "We'd only tell if we were concerned for your safety.")
    turns.append(Turn(len(turns) + 1, "assistant", "What, like suicidal?"))
    turns.append(Turn(len(turns) + 1, "user", "Exactly."))
    assert risk.check(turns) == []


STILL_SELF_HARM = [
    "I don't want to kill myself, but some nights I think about it.",
    "I'm afraid I might hurt myself if this keeps up.",
    "Last year I took an overdose on purpose.",
    "What's the point? I've been saving up my pills.",
    "Sometimes I want to overdose and just not wake up.",
    "I fell apart, and I cut myself again.",
]


@pytest.mark.parametrize("said", STILL_SELF_HARM)
def test_self_harm_near_those_words_is_still_flagged(said):
    (flag,) = risk.check(_conversation(said, MOVING_ON))
    assert not flag.responded and "self-harm" in flag.note
