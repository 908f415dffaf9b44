"""(An attack, 2026-12-06.) `directs` reads a client's plan only in "I'll / I'm going to / I might ..." in the
client's immediately previous turn, so the student giving back a plan the client stated as
"I'm calling her tonight", "I've decided to ...", "I've signed up ...", or summing up the plans
of earlier turns ("So you'll call the GP on Monday, and you'll text your sister tonight"), is
coded as unasked advice."""

from __future__ import annotations

from tests.integration.feedback.student_view import review_as_student

# A man cutting down on drinking who has made every step himself; the student reflects and sums up.
HIS_PLANS = [
    ("what brings you in today?", "my drinking's got worse since i lost my job."),
    ("what worries you most about it?", "my son asked me why i'm always asleep on the sofa."),
    ("that question from your son really landed.", "it did. so i've made some decisions."),
    ("what have you decided?", "i've decided to stop drinking on weeknights. completely."),
    ("You'll stop on weeknights, then, and keep weekends for now.",
     "yeah. weekends are harder, one thing at a time."),
    ("what else?", "i'm calling my brother tonight. he quit five years ago."),
    ("So you'll call your brother tonight, someone who's been there.",
     "exactly. he won't judge me."),
    ("what about the practical side of it?",
     "i've signed up for the support group at the community centre. it's on thursdays."),
    ("You'll join the group on Thursday too. That's a lot of steps in one week.",
     "it is. but i'm sick of feeling like this."),
    ("on a scale of one to ten, how confident do you feel?", "seven, probably."),
    ("what makes it a seven rather than a four?",
     "because i've done it before. i stopped for a year when he was born."),
    ("Let me sum up. You'll stop drinking on weeknights, you'll call your brother tonight, and you'll join the group on Thursday.",
     "yeah, that's about it."),
]  # fmt: skip
# The reflections and the summary of steps the client named himself.
HIS_OWN = {9, 13, 17, 23}


def test_giving_back_plans_the_client_stated_is_not_advice(db):
    """What happens: the client names every step ("i've decided to stop drinking on weeknights",
    "i'm calling my brother tonight", "i've signed up for the support group ... thursdays") and
    the student reflects each and sums them up at the end. Because the client said "I've decided",
    "I'm calling" and "I've signed up" rather than "I'll" or "I'm going to", and the summary comes
    after "yeah, that's about it", `directs` reads every "you'll ..." as the student imposing a
    step: all four are coded advice and the goal tells the student to stop giving unasked advice.

    What should happen: reflecting change talk and summarising the client's own plan (MI's
    planning summary) is not advice, whatever tense the client used or how many turns back the
    plan was made.

    Why it matters: the review punishes the transitional summary MI teaches as the way to close
    planning, and tells the student they gave advice they never gave."""
    seen = review_as_student(db, HIS_PLANS)
    as_advice = {t: c for t, c in seen.codes.items() if t in HIS_OWN and "advice" in c}
    assert not as_advice, f"his own plans coded advice: {as_advice}\n{seen.describe()}"
    assert "advice" not in seen.goal, seen.describe()
