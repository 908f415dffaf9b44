"""(An attack, 2026-12-06.) Invitations to talk and
affirmations in everyday words still start with a verb of `_DIRECTIVE_VERBS` and are not in
`_TALK_ON`, so they are coded as unasked advice: "Take whatever time you need.", "Start by
telling me what happened.", "Stop me if I've got this wrong.", "Give yourself some credit"."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A student social worker with a young man after a panic attack: warm, no advice at all.
GENTLE = [
    ("Hi, I'm glad you came in.", "I nearly didn't. I'm not good at this."),
    ("Take whatever time you need.", "Okay. It's about what happened at work."),
    ("Start by telling me what happened.", "I had a panic attack in a meeting. In front of everyone."),
    ("That sounds frightening, and exposing.", "It was humiliating. I thought I was dying."),
    ("What went through your mind afterwards?", "That everyone thinks I'm weak now."),
    ("Stop me if I've got this wrong: the fear now is less the panic than what people think.",
     "Yes. That's it exactly."),
    ("What did people actually say?", "My manager was kind, actually. She sent me home."),
    ("Her kindness surprised you.", "It did. I expected to be told off."),
    ("How did you get through the rest of that day?", "I went for a walk and called my brother."),
    ("Give yourself some credit, that was a good way to look after yourself.",
     "I hadn't thought of it like that."),
    ("What would you like to be different next time?", "Notice it earlier, maybe."),
    ("You'd like to catch it before it takes over.", "Yeah. That would help."),
]  # fmt: skip
INVITATIONS = {3, 5, 11, 19}


def test_invitations_and_affirmations_are_not_unasked_advice(db):
    """What happens: "Take whatever time you need.", "Start by telling me what happened.",
    "Stop me if I've got this wrong: ..." and "Give yourself some credit, that was a good way to
    look after yourself." are coded as unasked advice, and the goal tells the student to ask
    permission before giving advice, in a session that contains no advice at all.

    What should happen: 5b31047 itself exempts invitations to talk or to go gently ("Take your
    time.", "Start wherever you like."); these are the same invitations, a check-back of a
    reflection and an affirmation, not instructions.

    Why it matters: feedback that calls warmth 'advice' teaches the student to stop inviting
    and affirming - the opposite of what the course teaches."""
    seen = review_as_student(db, GENTLE)
    coded_advice = {
        turn: codes
        for turn, codes in seen.codes.items()
        if turn in INVITATIONS and "advice" in codes
    }
    assert not coded_advice, f"invitations coded advice: {coded_advice}\n{seen.describe()}"
    assert "advice" not in seen.goal, seen.describe()
