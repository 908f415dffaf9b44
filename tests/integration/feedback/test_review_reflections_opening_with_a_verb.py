"""(An attack, 2026-12-06.) `directs` reads a sentence opening with one of its verbs of doing as an order, so a
reflection that opens with one as a noun, a participle or an option ("Quit or cut down, you're
weighing both.", "Cut off from everyone since you moved in with him.", "Stop and start, that's
how it's been.") is coded as unasked advice."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A smoker in a controlling relationship; lowercase chat style, reflections and open questions.
TORN = [
    ("hey, what's on your mind today?", "smoking i guess. and everything else."),
    ("where would you like to start?", "the smoking. i can't decide whether to quit or cut down."),
    ("Quit or cut down, you're weighing both.", "yeah. quitting feels too big right now."),
    ("what's happened when you've tried before?", "i quit, then i start again, then i quit again."),
    ("Stop and start, that's how it's been for you.", "for about six years lol"),
    ("what keeps pulling you back to it?", "stress mostly. things at home."),
    ("tell me a bit about home.", "i don't see my friends anymore. he doesn't like them."),
    ("Cut off from everyone since you moved in with him.", "basically. the cigs are the only thing that's mine."),
    ("it's like smoking is the one bit of your life that's still yours.", "that's exactly it."),
    ("what would it be like to have other things that are yours again?", "i'd like that. i miss my sister."),
    ("you miss her.", "a lot. i might message her this weekend."),
    ("what would you want to say to her?", "just that i'm sorry i disappeared."),
]  # fmt: skip
# The reflections that open with a listed verb of doing.
REFLECTIONS = {5, 9, 15}


def test_reflections_opening_with_a_verb_are_not_orders(db):
    """What happens: three reflections open with a word of `_DIRECTIVE_VERBS` that is not an
    order: a double-sided reflection of the client's two options ("Quit or cut down, you're
    weighing both."), a reflection of her pattern ("Stop and start, that's how it's been for
    you.") and of her isolation ("Cut off from everyone since you moved in with him."). Each is
    coded unasked advice, becomes a "try instead" item telling the student to ask permission
    before advising, and the goal says to give no advice unasked.

    What should happen: these are reflections (the first is MI's double-sided reflection of
    ambivalence); the student tells the client to do nothing.

    Why it matters: the student is faulted for advice in the turns that most carefully left the
    choice with the client."""
    seen = review_as_student(db, TORN)
    as_advice = {t: c for t, c in seen.codes.items() if t in REFLECTIONS and "advice" in c}
    assert not as_advice, f"reflections coded advice: {as_advice}\n{seen.describe()}"
    assert "advice" not in seen.goal, seen.describe()
