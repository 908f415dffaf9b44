"""(An attack, 2026-12-06.) The advice phrase rules (`ADVICE_OPENINGS`, `ADVICE_AS_REFLECTION` in
`backend/reviews/coding.py`) fire on a student's reflection that gives back a necessity the client
just stated in the same words ("I have to be at work by eight" -> "So you have to be at work by
eight ..."; "I just need to get some sleep" -> "It sounds like you need to get some sleep ...").
`confronts` spares a phrase the client just said; the advice rules have no such check."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A tired single mother behind on her shifts; the student reflects, asks open questions, affirms,
# asks permission before information and sums up. Every "have to" / "need to" is the client's own.
HER_DAY = [
    ("What brings you in today?",
     "i'm exhausted. i keep being late for work and my manager has noticed."),
    ("What does a usual morning look like for you?",
     "i have to be at work by eight and the bus never comes on time. and the kids have to be at school first."),
    ("So you have to be at work by eight, and the bus is unreliable.",
     "exactly. and if i'm late again i could lose the shift."),
    ("That's a lot to carry on your own, and you're still showing up every day.",
     "i try. but i'm running on four hours of sleep."),
    ("How is the lack of sleep affecting you?",
     "honestly i just need to get some sleep before i can think about anything else."),
    ("It sounds like you need to get some sleep before anything else.",
     "yes. everything feels impossible when i'm this tired."),
    ("What have you thought about doing?",
     "i think the best thing would be to talk to my boss first, before it gets worse."),
    ("You're thinking talking to your boss first is the way to start.",
     "yeah. maybe she'd let me start at half eight."),
    ("Would it be okay if I shared something other parents have found helpful?", "sure."),
    ("Some parents take turns with a neighbour on the school run. You know your situation best, so see what you think.",
     "my neighbour has kids at the same school actually. i could ask her."),
    ("Let me sum up. You're exhausted, mornings are a race to be at work by eight, you want to sleep before you can think, and you plan to talk to your boss and maybe your neighbour.",
     "that's it. it feels more doable said like that."),
]  # fmt: skip
# Student turns (transcript numbers) that give back the client's own "have to" / "need to" /
# "the best thing would be to".
HER_OWN = {5: "have to be at work by eight", 11: "need to get some sleep"}


def test_reflecting_the_clients_own_have_to_is_not_advice(db):
    """What happens: the client says "i have to be at work by eight" and "i just need to get some
    sleep before i can think"; the student gives each back ("So you have to be at work by eight,
    and the bus is unreliable."; "It sounds like you need to get some sleep before anything
    else."). The advice rules see "you have to" at a sentence's start and "sounds like you need
    to" anywhere, with no check of what the client just said, so both reflections are coded
    advice, and the review can quote them under "try instead".

    What should happen: a reflection that repeats the client's own necessity in the client's own
    words is a reflection (paraphrase / reflection of feeling), not advice; `confronts` already
    spares phrases the client just said.

    Why it matters: the student is told they gave unasked advice for the most basic skill the
    course teaches, reflecting what the client said, and learns to avoid accurate reflections."""
    seen = review_as_student(db, HER_DAY)
    for turn, words in HER_OWN.items():
        assert words in seen.text(turn).lower(), (turn, seen.text(turn))
    as_advice = {t: seen.codes.get(t) for t in HER_OWN if "advice" in seen.codes.get(t, [])}
    assert not as_advice, f"her own words given back coded advice: {as_advice}\n{seen.describe()}"
    quoted = [t.turn for t in seen.try_instead if t.turn in HER_OWN]
    assert not quoted, f"reflections quoted under try instead: {quoted}\n{seen.describe()}"
