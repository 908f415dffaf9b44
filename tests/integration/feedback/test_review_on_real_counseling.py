"""The automatic (offline) review read as a student on real counseling: excerpts of AnnoMI's
training split (Wu et al., "Anno-MI: A Dataset of Expert-Annotated
Counselling Dialogues", ICASSP 2022; Future Internet 15(3):110, 2023), copied below with their
transcript id and turn numbers (consecutive utterances of one speaker joined by a space, as a chat
holds them, and numbered so). The counselor is the student. Each test asserts what an expert
would expect the student to be told. (An attack reading all 88 sessions' reviews, 2026-12-07.)"""

from __future__ import annotations

import re

import pytest

from backend.reviews.offline_review import RISK_GOAL
from tests.integration.feedback.student_view import review_turns_as_student


def _review(db, excerpt, rubric=None):
    turns = [("user" if who == "counselor" else "assistant", text) for who, text in excerpt]
    return review_turns_as_student(db, turns, rubric=rubric)


PERMISSION = re.compile(r"permission", re.IGNORECASE)
ARGUING = re.compile(r"argu", re.IGNORECASE)


# 1. A double-sided reflection is replaced with "What has that been like for you?" ---------------
# AnnoMI transcript 34 (high quality), turns 45-62.
T34 = [
    ('counselor', "You don't want that."),  # 45
    ('client', 'No.'),  # 46
    ('counselor', 'You want this baby.'),  # 47
    ('client', 'Yeah.'),  # 48
    ('counselor', "And you wanna be, um, take care of your baby as the baby's growing."),  # 49
    ('client', 'Like, I wanna- I wanna be responsible for this thing.'),  # 50
    ('counselor', "You don't wanna let your baby down."),  # 51
    ('client', 'No.'),  # 52
    ('counselor', 'And at the same time, it\'s hard to let go of the past, but on the other hand, you\'re thinking, "I don\'t have a choice. I\'ve got to look this way." Is that kind of what it feels like?'),  # 53
    ('client', "I guess so. I feel like I've already made a choice and already made some bad choices with this."),  # 54
    ('counselor', "Nina, I'm wondering, what's your hope for the future? When you think about where you are today, um, what do you hope for when you look ahead?"),  # 55
    ('client', "Well, I-I kept the kid because I wanted-- It was almost like that push, that sign for me to, like, move forward and become like an adult because it's scary, right? Like I-I still feel like a teenager sometimes. And having that push to be a real person is really-- It's a lot of pressure and I-I want to raise this kid well. I don't wanna- I don't wanna let my kid down. I don't wanna, you know, I don't wanna regret choosing to have this kid because I think it's the right time, but I don't wanna- I don't wanna make mistakes that make me realize maybe I'm not ready for this 'cause sometimes it feels like I'm not ready for this."),  # 56
    ('counselor', 'You put your heart there that the baby is really- it was almost kind of like a sign for you that was saying, "This baby is giving you a kind of a new chance at life, or giving you a plan B," and you guys both get to decide what plan B is gonna look like.'),  # 57
    ('client', "Yeah, I just guess it's easier said than done though. Like, it's, like, great, I can make all these changes and I can be a completely new person, but it's, like, at the end of the day, I'm still just who I am."),  # 58
    ('counselor', 'While this baby\'s growing in you and you think of all the opportunities that could come out of this, there\'s a part of you that says, "I\'m still that same girl that was drinking and partying," and-and maybe not living the life you wanted to live.'),  # 59
    ('client', "Yeah. And I'm just- you know, you can't just one day flick a switch and become a new person."),  # 60
    ('counselor', 'While this baby feels like this is your second chance, you\'re wondering, "Do I deserve that second chance?" And then this other part of you that says, "Why not? It\'s here and I wanna go for it."'),  # 61
    ('client', 'Yeah, I guess that voice is just a little more stifled by the other one.'),  # 62
]  # fmt: skip


@pytest.mark.xfail(
    strict=True,
    reason="not yet: a question inside quotes, or a check after a reflection, reads as the student's closed question",
)
@pytest.mark.parametrize("turn", [9, 17])
def test_double_sided_reflection_is_not_replaced_by_an_open_question(db, turn):
    """AnnoMI 34 (high quality). The experts code both turns complex reflections. The review lists
    them under "try instead" with "What has that been like for you?" ("An open question invites
    the client's own story instead of a yes or a no."): turn 17 (61) because the client's inner
    voice quoted in it ("Do I deserve that second chance?") is read as the counselor's closed
    question, turn 9 (53) because a check ("Is that kind of what it feels like?") follows the reflection.
    Replacing a double-sided reflection with a stock question is worse advice, not better."""
    seen = _review(db, T34)
    told = [(t.quote, t.better_reply) for t in seen.try_instead if t.turn == turn]
    assert not told, f"skilled reflection corrected: {told}\n{seen.describe()}"
    if turn == 17:
        assert "closed_question" not in seen.codes.get(turn, []), seen.codes


# 2. An offer put with the client's choice is corrected as unasked advice -------------------------
OFFERS = {
    # AnnoMI 96 (high quality), turns 27-30.
    "t96_would_you_be_open": [
        ("counselor", "It might be a bit extreme to-"),
        ("client", "Yeah."),
        ("counselor", "-to quit drinking. Um, I'm just wondering, have you, um, would you be open maybe to just kind of taking a look at what Canada's guidelines say about drinking? Um, is that something you'd be open to?"),
        ("client", "Like right now?"),
    ],
    # AnnoMI 98 (high quality), turns 377-380.
    "t98_if_you_want_to": [
        ("counselor", "It sounds-- That sounds good."),
        ("client", "Yeah."),
        ("counselor", "Well, maybe that's something that we could talk about next time if you- if you want to."),
        ("client", "Yeah, yeah."),
    ],
    # AnnoMI 108 (high quality), turns 25-28.
    "t108_what_do_you_think_of_an_idea": [
        ("counselor", "Yeah, I can understand that. Um, what are some of your natural skills?"),
        ("client", "Mm-hmm."),
        ("counselor", "Um, you know, you could maybe swap a meal for child care. What do you think of a idea like that?"),
        ("client", "Hmm. That's, that's interesting. I-I never really thought of something like that, but, yeah, it might work."),
    ],
    # AnnoMI 113 (high quality), turns 39-42.
    "t113_if_you_d_be_willing": [
        ("counselor", 'So, it\'s-it\'s not so much that you don\'t wanna quit in a way, it\'s almost, "How could I do it that would work for me?"'),
        ("client", "Exactly."),
        ("counselor", "Okay. I appreciate. We've- we've probably used up the time that we have. I would love to see you next week if you'd be willing to schedule another appointment and talk with you more about this. Is that something that would be helpful?"),
        ("client", "Oh, sure. Sure, I'll come in. Yeah."),
    ],
    # AnnoMI 116 (high quality), turns 137-140.
    "t116_if_you_wanted_to": [
        ("counselor", "So, okay. So we're-- You know what? Um, it sounds like you actually have some pretty good ideas about, um, how to handle this, and yet kids are-- I know kids-- actually, adults can be really mean too. But, um, I know in high school, i-it's really bad."),
        ("client", "Yeah."),
        ("counselor", "So I'm wondering if, um, uh, if-if you wanted to, we could get together again and continue to talk 'cause you-you've got some good ideas already. And I'm very open that if you wanted to bring any of your good friends in, that that would also be totally cool too."),
        ("client", "Yeah."),
    ],
}  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"])
@pytest.mark.parametrize("case", list(OFFERS))
def test_an_offer_left_to_the_client_is_not_unasked_advice(db, case, rubric):
    """AnnoMI 96, 98, 108, 113, 116 (all high quality). The counselor offers something and leaves
    it to the client ("would you be open ...? is that something you'd be open to?", "if you want
    to", "What do you think of a idea like that?", "if you'd be willing", "if you wanted to").
    The review codes it unasked advice (MITI: Persuade, MI-non-adherent, counted against the
    score twice) and tells the student "Asking permission first turns unasked advice into advice
    the client can weigh", suggesting "Would it be all right if I shared an idea...?" - for a turn
    that already asks. MITI 4.2.1 codes advice given with permission or with emphasis on the
    client's choice as Persuade with Permission."""
    seen = _review(db, OFFERS[case], rubric)
    codes = seen.codes.get(3, [])
    assert not {"advice", "persuade"} & set(codes), f"offer coded {codes}\n{seen.describe()}"
    told = [t.why for t in seen.try_instead if t.turn == 3 and PERMISSION.search(t.why)]
    assert not told, f"told to ask permission: {told}\n{seen.describe()}"


# 3. Risk notes that are wrong -------------------------------------------------------------------
# AnnoMI 55 (high quality, harm reduction), turns 55-60.
T55 = [
    ("counselor", "How confident are you to do these two things? On a scale of 1 to 10, 1 meaning not ready at all and 10 meaning very ready, what number would you pick?"),  # 55
    ("client", "I'd probably say 10."),  # 56
    ("counselor", "Okay. You're very ready. Why do you think you picked a 10 instead of a lower number like 8?"),  # 57
    ("client", "Well, uh, I don't want to have an overdose and I don't want to get an infection. Seems like easy things to do."),  # 58
    ("counselor", "What kind of plan could you put in place to make sure you meet these goals?"),  # 59
    ("client", "Um, well, I can talk to my housemate tomorrow night. I'm pretty sure that he doesn't work tomorrow night so he'll be around."),  # 60
]  # fmt: skip
# AnnoMI 110 (high quality; counted score 75), turns 67-72.
T110 = [
    ("counselor", "Mm-hmm."),  # 67
    ("client", '"Let\'s try to think of ways to make it better." And I notice that not everyone\'s like me in that sense.'),  # 68
    ("counselor", "Mm-hmm."),  # 69
    ("client", 'And so, do I wanna eventually hurt myself in the long run? Or, you know, help myself by saying, "Okay this is just accepting that he\'s not in that position, so let me just do what\'s for me in my heart and, you know-'),  # 70
    ("counselor", "Mm-hmm."),  # 71
    ("client", '-stabilize myself to be the best parent that I can be."'),  # 72
]  # fmt: skip


def test_not_wanting_an_overdose_is_no_self_harm_passed_over(db):
    """AnnoMI 55 (high quality). A client who injects heroin explains his readiness: "I don't want
    to have an overdose and I don't want to get an infection." The review notes "The client spoke
    of self-harm, and the next turn moved on without asking", makes the goal "When a client
    mentions harming themself ... stop, ask about it directly" and puts the counselor's skilled
    open question ("What kind of plan could you put in place ...?") under "try instead" with
    "You said seems like easy things to do. I want to ask you directly: are you having thoughts
    of hurting yourself or someone else?" The client said he does NOT want an overdose. Cause:
    `risk.SELF_HARM` holds "overdose" and `risk.check` ignores the negation."""
    seen = _review(db, T55)
    assert not seen.risks_passed_over, seen.describe()
    assert seen.goal != RISK_GOAL, seen.describe()
    assert not [t for t in seen.try_instead if "hurting yourself" in t.better_reply], (
        seen.describe()
    )


def test_weighing_hurting_or_helping_myself_is_no_self_harm_passed_over(db):
    """AnnoMI 110 (high quality, counted score 75). Deciding about her relationship the client
    asks herself "do I wanna eventually hurt myself in the long run? Or ... help myself by saying,
    'Okay this is just accepting ...'". The review says a self-harm risk was passed over, and
    the whole session's goal becomes asking about self-harm; the student's "Mm-hmm." gets "I want
    to ask you directly: are you having thoughts of hurting yourself ...?"."""
    seen = _review(db, T110)
    assert seen.goal != RISK_GOAL, seen.describe()
    assert not seen.risks_passed_over, seen.describe()


# 4. "Try instead" quotes the kind words, not the advice -----------------------------------------
QUOTES = {
    # AnnoMI 17 (low quality), turns 15-18: the advice is "I'm going to recommend that you cut down".
    "t17_recommend": ([
        ("counselor", "Okay. So, you know, as we said before, you're drinking-- it sounds like you're drinking about 20 drinks a week, over the course of a few days. And I did want to point out to you that the recommended limit for women is actually no more than seven drinks a week, and no more than three on a given day."),
        ("client", "Okay."),
        ("counselor", "So you're doing more than that right now. And when you drink more than this amount, it puts you at risk for a number of things, okay? Things like greater risk of injury, damage to different parts of your body, um, just a bunch of different problems. And, uh-- so I'm going to recommend that you cut down- cut down that amount to the recommended limit. Again, that's no more than seven drinks a week and no more than three on a given day. Do you think you could do that? Would that be a good goal for you?"),
        ("client", "That's a lot to change. I don't know."),
    ], "So you're doing more than that right now."),
    # AnnoMI 108 (high quality), turns 23-26.
    "t108_good_cook": ([
        ("counselor", "Yeah, I can understand that. Um, what are some of your natural skills?"),
        ("client", "Well, I mean, I-I like cooking. I'm-I'm actually in school for culinary arts."),
        ("counselor", "Oh, I bet you're a really good cook then. Um, what would you think about a plan where you worked out an arrangement with this neighbor, where in exchange for her watching your son, you would prepare dinner for her and her, um, daughter?"),
        ("client", "Mm-hmm."),
    ], "Oh, I bet you're a really good cook then."),
    # AnnoMI 115 (low quality), turns 17-20.
    "t115_want_to_be_helpful": ([
        ("counselor", "So--"),
        ("client", "I've heard it all. I-- but I just want to get my teeth fixed."),
        ("counselor", "Yes, and I really want to be helpful. I really want to-- you know, my commitment is to your oral health, so um, there are lots of medications out there, David, that actually take away a lot of the cravings. They're-- they make quitting so much easier."),
        ("client", "I did a pill thing, so I did try it. So like, I did try try it. I just did the pills and they didn't work."),
    ], "Yes, and I really want to be helpful."),
}  # fmt: skip


@pytest.mark.parametrize("case", list(QUOTES))
def test_try_instead_quotes_the_advice_not_the_words_around_it(db, case):
    """AnnoMI 17, 108, 115. The review corrects turn 3 as unasked advice, but the quote it shows
    as the thing to replace is a reflection ("So you're doing more than that right now."), an
    affirmation ("Oh, I bet you're a really good cook then.") or a kind word ("Yes, and I really
    want to be helpful."), never the advice ("I'm going to recommend that you cut down", "there
    are lots of medications out there ..."). The student learns to drop the wrong sentence.
    Cause: `offline_review._quote` finds no ADVICE phrase ("going to recommend", "what would you
    think about a plan", "there are lots of medications" are none) and falls back to the first
    sentence. Over the 88 sessions, 67 of 94 advice items quote a sentence that holds no advice."""
    excerpt, kind_words = QUOTES[case]
    seen = _review(db, excerpt)
    quoted = [t.quote for t in seen.try_instead if t.turn == 3]
    assert quoted, seen.describe()
    assert quoted[0] != kind_words, f"quoted {quoted[0]!r} as the fault\n{seen.describe()}"


# 5. A better reply that garbles the client's words ----------------------------------------------
GARBLED = {
    # AnnoMI 90 (low quality), turns 13-16: "every bit of the high school experience".
    "t90_the_high": ([
        ("counselor", "Yeah. Is-- are your friends the problem, like maybe you should just start hanging out with more kids in the youth group and not hang out with those kids that you were partying with?"),
        ("client", "Yeah, I guess I haven't really put it on myself. I guess it's really been forced on their account. And I've just been following in their footsteps just to-- just because it seems like what they're doing is a lot of fun. And I just want to make sure that I'm getting every bit of the high school experience that I can."),
        ("counselor", "Well, there's a lot of things that seem fun in the moment that we know aren't a good choice, right? That's some of the things we talk about all the time is making good choices for our life and-and really doing what's best for you. And I just, you know, I really think you should think about making a big change here."),
        ("client", "Mm. Yeah."),
    ], re.compile(r"\bthe high\b(?! school)")),
    # AnnoMI 106 (low quality), turns 7-10.
    "t106_you_mean": ([
        ("counselor", "Well, the fact that he's having these ear infections is indicating to me that he is being exposed to smoke, and so, what can you tell me about that?"),
        ("client", "I-I don't know. I mean, I try really hard not to smoke around him. I don't smoke in the car. Um, when he's home, I go outside to smoke. I just-- I mean, I know it's bad, and I know it's bad for him, so I don't want him to be around it so I try really hard."),
        ("counselor", "I really need you to quit smoking. Both for your health and for Aiden. Did you know s-smoking around your child is associated not only with ear infections, it could get to the point where you have to put tubes in his ears pretty shortly here. Also, things like vitamin C deficiency, cavities, like dental cavities, behavior problems, um, asthma, other upper respiratory infections. It's really putting him at a lot of risk. In addition to that, kids of smokers end up smoking themselves. Do you want him to grow up to be a smoker?"),
        ("client", "No, but I don't smoke. I'm-- I-I-I've thought about quitting, but it's just- It's really hard so I just don't know how to do it."),
    ], re.compile(r"--|you mean,")),
    # AnnoMI 115 (low quality), turns 17-20.
    "t115_i_dashes": (QUOTES["t115_want_to_be_helpful"][0], re.compile(r"\bi--|--")),
    # AnnoMI 44 (low quality), turns 119-122.
    "t44_dash_and_or": ([
        ("counselor", "Uh-huh."),
        ("client", "-those are probably the ones that like might ostracize me for something or."),
        ("counselor", "It sounds like you might be better off without them though. They\u2019re-"),
        ("client", "Yeah."),
    ], re.compile(r"said -| or\.")),
}  # fmt: skip


@pytest.mark.parametrize("case", list(GARBLED))
def test_better_reply_gives_the_client_words_back_readably(db, case):
    """The "better reply" puts words in the student's mouth that the client never said: AnnoMI 90
    "you just want to make sure that you're getting every bit of the high." (the client: "every
    bit of the high school experience", in a session about drinking); AnnoMI 106 "You said you
    just-- you mean, you know it's bad."; AnnoMI 115 "You said i-- but you just want to get your
    teeth fixed."; AnnoMI 44 "You said -those are probably the ones that like might ostracize you
    for something or.". Cause: `offline_review._echo` cuts at 14 words mid-phrase, keeps "--"
    and leading dashes, turns "I mean" into "you mean" and ends on "or"."""
    excerpt, garble = GARBLED[case]
    seen = _review(db, excerpt)
    replies = [t.better_reply for t in seen.try_instead if t.turn == 3]
    assert replies, seen.describe()
    assert not garble.search(replies[0]), f"garbled: {replies[0]!r}\n{seen.describe()}"


# 6. A confrontation is corrected as advice needing permission -----------------------------------
CONFRONTATIONS = {
    # AnnoMI 27 (low quality), turns 19-22.
    "t27_oscar_higher_than_your_baby": [
        ("counselor", "Sal, what, uh, do you understand that what happened 6 years ago or 10 years ago, your asthma is progressively getting worse. You know very well that the puffers, the strength of the medication is getting higher and higher, and there's only so much that can be done with medication alone. You know this."),
        ("client", "Well, they can keep giving me more medicine and give me the strongest one, and I'll keep Oscar."),
        ("counselor", "Sal, you're almost on the strongest one. And if Oscar is that important to you, then do you put Oscar higher than your baby, than your wife? Like, uh, that makes no sense to me. Do you understand how important this is?"),
        ("client", "I understand, but I don't think you get my situation. I've had this dog for 12 years. So, I'm not just gonna up and get him out of my house when I don't even know if that's the main thing."),
    ],
    # AnnoMI 123 (low quality), turns 17-20.
    "t123_what_do_you_mean_maybe": [
        ("counselor", "So you're gonna quit then?"),
        ("client", "Uh, maybe."),
        ("counselor", "What do you mean, maybe? I just told you how bad it is for you. It's messing up your mouth, you're putting yourself at risk for all these other diseases. This is really important. You need to quit."),
        ("client", "Well, it's something that I'll have to think about."),
    ],
}  # fmt: skip


@pytest.mark.parametrize("case", list(CONFRONTATIONS))
def test_a_confrontation_is_named_as_arguing(db, case):
    """AnnoMI 27: "do you put Oscar higher than your baby, than your wife? Like, uh, that makes no
    sense to me." AnnoMI 123: "What do you mean, maybe? I just told you how bad it is for you."
    Both argue with and shame a client who pushed back; the review's only correction is "Asking
    permission first turns unasked advice into advice the client can weigh" with "Would it be all
    right if I shared an idea ...?", as if the fault were a missing permission. The README says a
    confrontation's "try instead" names it as arguing; `coding.confronts` does not know
    "makes no sense to me", "do you put X higher than your baby" or "What do you mean, maybe?
    I just told you"."""
    seen = _review(db, CONFRONTATIONS[case])
    whys = [t.why for t in seen.try_instead if t.turn == 3]
    assert whys, seen.describe()
    assert ARGUING.search(whys[0]) and not PERMISSION.search(whys[0]), (
        f"{whys[0]!r}\n{seen.describe()}"
    )


# 7. A strength that praises a poor turn ---------------------------------------------------------
# AnnoMI 106 (low quality), turns 5-8.
T106 = [
    ("counselor", "Well, one of the primary risk factors for multiple ear infections in kids is actually smoke exposure. Are you smoking?"),  # 5
    ("client", "Yeah, I-- Yeah, I do smoke, but I don't smoke around him. I try really hard not to smoke around him."),  # 6
    ("counselor", "Well, the fact that he's having these ear infections is indicating to me that he is being exposed to smoke, and so, what can you tell me about that?"),  # 7
    ("client", GARBLED["t106_you_mean"][0][1][1]),  # 8
]  # fmt: skip
# AnnoMI 44 (low quality), turns 77-80.
T44_DRINKS = [
    ("counselor", "Yeah."),  # 77
    ("client", "Um, it was a good amount. It was the first time I ever drank and it was like three or four cups, but it was mixing different things."),  # 78
    ("counselor", "Okay, so you don't even know."),  # 79
    ("client", "So, I'm not-- Yeah."),  # 80
]  # fmt: skip
# AnnoMI 44 (low quality), turns 119-124.
T44_FRIENDS = [
    *GARBLED["t44_dash_and_or"][0],
    ("counselor", "- maybe not very good friends."),  # 123
    ("client", "Probably, might be too judgmental."),  # 124
]  # fmt: skip
_TRUSTS_THE_CODE = pytest.mark.xfail(strict=True, reason="a strength trusts the code alone")
POOR = [
    pytest.param(T106, 3, None, id="t106_disputes_the_client_micro", marks=_TRUSTS_THE_CODE),
    pytest.param(T106, 3, "miti", id="t106_disputes_the_client_miti", marks=_TRUSTS_THE_CODE),
    pytest.param(T44_DRINKS, 3, None, id="t44_you_dont_even_know", marks=_TRUSTS_THE_CODE),
    pytest.param(T44_FRIENDS, 5, "miti", id="t44_not_very_good_friends_miti"),
]


@pytest.mark.parametrize(("excerpt", "turn", "rubric"), POOR)
def test_a_poor_turn_is_not_praised_as_following_the_clients_lead(db, excerpt, turn, rubric):
    """AnnoMI 106: the mother says "I don't smoke around him. I try really hard not to"; the
    counselor answers "the fact that he's having these ear infections is indicating to me that he
    is being exposed to smoke" - disputing her account (experts: other) - and the review praises
    it: "Coded as open question: it follows the client's lead and invites them to say more."
    AnnoMI 44: "Okay, so you don't even know." (experts: closed question) praised as a
    paraphrase; and, in MITI, "- maybe not very good friends.", the second half of the very
    "you might be better off without them though. They're-" that the same review corrects as
    unasked advice, praised as a complex reflection."""
    seen = _review(db, excerpt, rubric)
    praised = [(s.quote, s.comment) for s in seen.strengths if s.turn == turn]
    assert not praised, f"praised: {praised}\n{seen.describe()}"
