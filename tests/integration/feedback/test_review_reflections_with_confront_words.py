"""(An attack, 2026-12-06.) Skilled reflections that hold a word of `coding.CONFRONT` the client did not say
("You never got to say goodbye", "you always put everyone else first", "you're just trying to keep
the peace", "that took courage, to admit it") are coded as arguing with the client."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A carer grieving her father; every student turn is a reflection, an affirmation or an open
# question.
GRIEF = [
    ("hi, what would you like to talk about today?",
     "my dad died in march. i haven't really talked about it with anyone."),
    ("that's a lot to carry on your own. what happened?",
     "he was in hospital for a week. i didn't make it there in time, he died before i arrived."),
    ("You never got to say goodbye to him.",
     "no. and that's the bit i can't get past."),
    ("it's like that moment keeps replaying for you.",
     "every night. i should have left work earlier."),
    ("part of you blames yourself for not being there.",
     "yeah. even though i know the traffic wasn't my fault."),
    ("what's the rest of your week like at the moment?",
     "school run, mum's shopping, then a night shift. then again the next day."),
    ("You always put everyone else first, even when you're running on empty.",
     "someone has to. mum can't cope on her own."),
    ("how are things between you and your husband?",
     "i don't say anything when he moans about me being out. it's easier that way."),
    ("You're just trying to keep the peace at home while you hold everyone up.",
     "pretty much. i'm exhausted."),
    ("you mentioned you'd talked to someone for the first time this week.",
     "i finally told my sister i've been drinking most nights since the funeral."),
    ("That took courage, to admit it to her.",
     "it did. she cried. but she said she'd help with mum."),
    ("what would it mean for you to have a bit of help?",
     "maybe some time to actually grieve for him."),
]  # fmt: skip
# The reflections and the affirmation that share a confrontation phrase's words.
SKILLED = {5, 13, 17, 21}


def test_reflections_holding_confrontation_words_are_not_arguing(db):
    """What happens: the student reflects a grieving client's words ("You never got to say
    goodbye to him." after "I didn't make it there in time"; "You always put everyone else first,
    even when you're running on empty."; "You're just trying to keep the peace at home ...") and
    affirms a disclosure ("That took courage, to admit it to her."). `confronts` finds "you
    never", "you always", "you're just" and "admit it" in them, none said by the client, so each
    is coded confront (advice in micro-skills): they become "try instead" items told to stop
    arguing, the goal says "rather than arguing", and the session is rated down.

    What should happen: these are complex reflections and an affirmation, the heart of a skilled
    grief conversation; none argues with the client, who agrees with each.

    Why it matters: a student who reflected a bereaved client's loss is told they argued with her,
    the worst kind of misleading feedback, and learns to avoid the words of good reflections."""
    seen = review_as_student(db, GRIEF)
    as_arguing = {t: c for t, c in seen.codes.items() if t in SKILLED and "advice" in c}
    assert not as_arguing, f"skilled turns coded as arguing/advice: {as_arguing}\n{seen.describe()}"
    assert "arguing" not in seen.goal, seen.describe()
