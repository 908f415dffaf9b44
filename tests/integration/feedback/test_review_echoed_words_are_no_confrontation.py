"""(An attack, 2026-12-06.) The new confrontation phrases for moralizing, warnings and ridicule
("report you", "genius", "precious", "a decent person", "deserves better", "you'll regret") are
matched anywhere in a turn, so an accurate reflection that hands the client's own words back is
coded as a confrontation, corrected as arguing and marked down."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A worried mother, British spelling; every reflection uses the words she has just used.
REFLECTING_HER_WORDS = [
    ("Hi, I'm glad you came in. What's on your mind today?",
     "I'm scared the school will report me to social services. My son turned up without lunch "
     "again."),
    ("You're afraid they'll report you and that you could lose him.",
     "Yes. My ex always called me a genius at messing things up."),
    ("Being called a genius at messing things up still stings.",
     "It does. And my time with my son is so precious, I can't lose it."),
    ("Those mornings with him are precious to you.",
     "They are. I just want to be a decent person for him."),
    ("Being a decent person for him matters more than anything.",
     "It does. He deserves better than a mum who can't get out of bed."),
    ("You feel he deserves better, and you want to give him that.",
     "I do. I know I'll regret it if I don't sort this out."),
    ("You're sure you'll regret it if nothing changes.",
     "Yeah. I think I need to see my GP about the depression."),
    ("What would it take to book that appointment?",
     "Just making the call. I keep putting it off."),
    ("The call itself feels like the hardest part.",
     "It does. Maybe I'll do it tomorrow morning."),
    ("Tomorrow morning, before the school run.", "Yeah, before I lose my nerve."),
    ("You sound more hopeful than when you came in.", "I am, a bit."),
]  # fmt: skip
# The reflections that repeat one of the client's words that is now on the confrontation list.
HER_WORDS = {3, 5, 7, 9, 11, 13}


def test_reflecting_the_clients_own_words_is_not_arguing(db):
    """What happens: six accurate reflections of what the client has just said ("You're afraid
    they'll report you and that you could lose him.", "Those mornings with him are precious to
    you.", "Being a decent person for him matters more than anything.") are coded as
    confrontations (unasked advice in the default rubric). The counted score is 9.1, "below
    fair", every rating is 1/5, the "try instead" items tell the student that "arguing makes
    them defend the status quo", and the goal says to stop arguing. Before ec7d9ef the same
    session was rated 5/5 throughout; with "report you", "precious", "genius", "decent person",
    "deserves better" and "regret" reworded it still is (counted score 90.9, "good").

    What should happen: a reflection of the client's own words is a reflection, whatever the
    words; the session is at least fair and none of these turns is corrected as arguing.

    Why it matters: the student is told that their most empathic turns were moralizing and
    threatening, and learns to avoid the client's own vocabulary instead of confrontation."""
    seen = review_as_student(db, REFLECTING_HER_WORDS)
    called_arguing = [
        (item.turn, item.quote)
        for item in seen.try_instead
        if item.turn in HER_WORDS and "arguing" in item.why
    ]
    assert seen.counted_badge != "below fair", seen.describe()
    assert not called_arguing, f"reflections corrected as arguing: {called_arguing}"
