"""(An attack, 2026-12-06.) `pushed_back_by_client` reads any sentence of the client's next turn that opens
with an objection phrase as an objection to the student, even when it is said of someone else or
is no objection at all: "Please don't tell my mum." (a confidentiality request), "Seriously? I
never thought of it like that." (surprise at a good reflection), "Whatever. He can do what he
likes now." (about the ex)."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A student nurse's client, a young woman after a break-up; the student reflects throughout.
BREAK_UP = [
    ("hi, i'm one of the student nurses. what's brought you in today?",
     "i haven't been sleeping since my boyfriend left. and i've been drinking to get to sleep."),
    ("what's a typical night like at the moment?", "a bottle of wine, then i lie awake anyway."),
    ("it sounds like the wine isn't even giving you the sleep you're after.", "no. it's pointless really."),
    ("how do you feel about talking about the drinking?",
     "it's fine with you. Please don't tell my mum though. She'd be devastated."),
    ("It's important to you that she's protected from worrying about you, even while you're struggling.",
     "Seriously? I never thought of it like that. I always thought I was just hiding it."),
    ("what else has changed since he left?", "i stopped going to netball. he used to pick me up after."),
    ("It's like losing him took a whole routine with it, not just a person.",
     "Whatever. He can do what he likes now. I'm more upset about netball honestly."),
    ("what did netball give you?", "friends. a reason to get out of the house."),
    ("you're missing the people as much as the game.", "yeah. i'd like to go back."),
    ("what would make going back feel possible?", "if my friend sam came with me the first time."),
    ("Sam would make that first night easier.", "she would. i'll text her."),
    ("what would you like to say to her?", "just that i miss it and i miss her."),
]  # fmt: skip


def test_an_objection_about_someone_else_does_not_cost_a_reflection_its_praise(db):
    """What happens: the student's best complex reflections are answered "Seriously? I never
    thought of it like that." (a new understanding) and "Whatever. He can do what he likes now."
    (said of the ex), and an open question about the drinking is answered "Please don't tell my
    mum though." (asking for confidentiality). `pushed_back_by_client` reads "Seriously?",
    "Whatever." and "Please don't ..." as objections to the student, so none of these turns can be
    a strength: the two complex reflections (coded as reflections) are left out of the
    strengths, which go to plainer paraphrases of later turns instead.

    What should happen: an objection counts only when it is aimed at what the student just said;
    a client's surprise, a request about confidentiality and a dismissal of the ex show the turn
    landed, and the complex reflections are the session's best examples.

    Why it matters: the student is told to replace the two reflections that moved the client
    most, and so learns to distrust the very turns that worked."""
    seen = review_as_student(db, BREAK_UP)
    praised = {s.turn for s in seen.strengths}
    corrected = {t.turn for t in seen.try_instead}
    best = {9, 13}
    assert all({"paraphrase", "reflection_of_feeling"} & set(seen.codes[t]) for t in best), (
        seen.codes
    )
    assert best <= praised and not best & corrected, (
        f"complex reflections not praised or corrected: praised {praised}, corrected "
        f"{corrected}\n{seen.describe()}"
    )
