"""(An attack, 2026-12-06.) The automatic (demo) review quotes an interjection as the words it praises: a strength's quote
is the first sentence of the turn that is not on a short list of fillers ("Okay.", "I hear
you."), so a reflection opened with "Oof.", "Mmm." or "Ah." is praised as "Oof."."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A skilled session with a carer, British spelling; a few reflections open with a sound of
# sympathy, as students type in chat.
SKILLED = [
    ("Hiya, come in. What would you like to focus on today?",
     "My mum's dementia is getting worse and I'm the only one looking after her."),
    ("Oof. You're carrying all of that on your own.",
     "I am. My brother lives in Canada and just sends money."),
    ("Mmm. Money helps, but it isn't the same as someone being there.",
     "Exactly. He has no idea what it's like."),
    ("Part of you feels quite let down by him.", "Yeah. And guilty for feeling that."),
    ("Ah. So angry with him, and then guilty on top of the anger.", "That's it. I'm knackered."),
    ("What does a normal day look like for you at the moment?",
     "Up at six, her meds, work, then back to hers till ten."),
    ("There's no time left over that's yours.", "None. I haven't seen my friends in months."),
    ("Your own life has been put on hold.", "It has. I miss it."),
    ("What would you most like to get back, if you could?", "Honestly, just one evening a week."),
    ("One evening a week would mean a lot to you.",
     "It would. Maybe a carer could come on Thursdays."),
    ("You're starting to picture some help on Thursdays.", "Yeah. I'll ring the council about it."),
]  # fmt: skip


def test_a_strength_quotes_the_reflection_not_the_sound_before_it(db):
    """What happens: the review's strengths are turns 3, 5 and 9, and their quotes, shown in
    bold beside "it follows the client's lead and invites them to say more", are "Oof.",
    "Mmm." and "Ah.".

    What should happen: the quote is the sentence that earned the code ("You're carrying all of
    that on your own."), as the README promises ("A quote is the sentence that earned the code,
    never a bare "Okay." or "I hear you." before it").

    Why it matters: the student reads that what worked was saying "Oof.", and not the
    reflection they should repeat; the one concrete example of their skill is lost."""
    seen = review_as_student(db, SKILLED)
    sounds = [
        (s.turn, s.quote)
        for s in seen.strengths
        if len(s.quote.split()) == 1 and s.quote.rstrip(".!").lower() in {"oof", "mmm", "ah"}
    ]
    assert seen.strengths, seen.describe()
    assert not sounds, f"strengths quoting only an interjection: {sounds}\n{seen.describe()}"
