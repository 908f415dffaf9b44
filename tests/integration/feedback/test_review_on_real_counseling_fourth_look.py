"""(An attack, 2026-12-07.) The automatic (offline) review with real counseling: excerpts of AnnoMI's training
split (Wu et al., "Anno-MI: A Dataset of Expert-Annotated Counselling Dialogues", ICASSP 2022;
Future Internet 15(3):110, 2023), each copied below with its transcript id and turn numbers
(consecutive utterances of one speaker joined by a space, as a chat would hold them; where an
utterance has several annotators' rows, the first annotator's code is cited). The counselor is
the student; each test reads the review as the student sees it (`review_turns_as_student`).

What a student would be misled by: an evocative question corrected as unasked advice and the goal
pointing at advice; a lecture praised as an affirmation because it says "the strength of the
medication"; "it's your choice, but you're really choosing to make yourself sick and potentially
die" praised as emphasizing autonomy; "you might be better off without them" praised as a
reflection; a permission ask corrected as unasked advice; "try instead" items that quote the
student's kind words ("-which is fantastic.", "You know, that is your choice.", a reflection)
as the fault to replace; better replies that give the client's words back cut off mid-phrase or
with "i-I"; and a dentist's warning praised as following the client's lead."""

from __future__ import annotations

import re

import pytest

from tests.integration.feedback.student_view import review_turns_as_student


def _turns(excerpt):
    return [("user" if who == "counselor" else "assistant", text) for who, text in excerpt]


def _review(db, excerpt, rubric=None):
    return review_turns_as_student(db, _turns(excerpt), rubric=rubric)


ASK_PERMISSION = re.compile(r"ask permission|without permission|unasked", re.IGNORECASE)


# 1. "Have you thought about what ...?" is an evocative question, not a suggestion ----------------
# AnnoMI transcript 77 (high quality, "more exercise / increasing activity"), turns 1-18.
T77 = [
    ("counselor", "Hi, Mrs. Smith. It's really nice to see you again. I see you're back to follow up on the stroke you had. How are things going for you at the rehab facility?"),  # 1
    ("client", "[signs] Kind of slow."),  # 2
    ("counselor", "Kind of slow?"),  # 3
    ("client", "Yeah."),  # 4
    ("counselor", "What kind of things have you been in your rehab?"),  # 5
    ("client", "Oh, they have me doing all kinds of things in different machines and stuff. Yeah, it hurts."),  # 6
    ("counselor", "It hurts? Oh, I'm sorry to hear that. Where are you having pain?"),  # 7
    ("client", "Well, just about every joint like especially my knees. They're really-- They have me doing some leg things that-that-that is it really necessary?"),  # 8
    ("counselor", "Well, you know, I-I understand that pain is hard to work through but a lot of time when you're having rehab after a stroke, that pain is telling you that your muscles and joints are starting to work again. So you can kind of think of it as a positive way to, you know, know that your-your body's getting back to normal."),  # 9
    ("client", "Okay."),  # 10
    ("counselor", "But what are your goals for the long term?"),  # 11
    ("client", "I wanna go home."),  # 12
    ("counselor", "Oh, of course, of course. And what are the things that you'd like to be able to do once you get home?"),  # 13
    ("client", "Everything. I wanna- I wanna, play with my dog. I miss my dog. I wanna cook for myself. I'm a very independent person and I wanna do things for myself."),  # 14
    ("counselor", "Yeah, yeah. And so that's a very important goal to be able to get back home, to be able to get back to your independence. Have you thought about what it might take to get there?"),  # 15
    ("client", "Um, I guess the rehab."),  # 16
    ("counselor", "Mm-hmm. Yeah, you're absolutely right. And it's also going to be very important that once you're home, you're able to continue on a regular activity program. Have you thought about what that might look like?"),  # 17
    ("client", "Not really."),  # 18
]  # fmt: skip
# AnnoMI transcript 91 (high quality, "smoking cessation"), turns 15-18.
T91 = [
    ("counselor", "All right. So it sounds like you've been smoking for such a long time and then this diagnosis was given to you, uh, and now that's really causing you to be afraid and frightened."),  # 15
    ("client", "Mm-hmm. I-I don't know what I'm going to do about it."),  # 16
    ("counselor", "Okay, okay. Now, have you thought about when you wanted to quit by?"),  # 17
    ("client", "I'm giving myself six months, six months and-and, uh, that seems like a long time away, but I have a feeling I'm going to fail at this point in time. I don't even have 50%, uh, faith in myself."),  # 18
]  # fmt: skip
EVOCATIVE = {
    "t77_what_it_might_take": (T77, 15, "Have you thought about what it might take to get there?"),
    "t77_what_that_might_look_like": (T77, 17, "Have you thought about what that might look like?"),
    "t91_when_you_wanted_to_quit_by": (
        T91,
        3,
        "have you thought about when you wanted to quit by?",
    ),
}


@pytest.mark.parametrize("rubric", [None, "miti"])
@pytest.mark.parametrize("case", list(EVOCATIVE))
def test_have_you_thought_about_what_is_an_evocative_question_not_advice(db, case, rubric):
    """What the student sees: after Mrs. Smith says she wants to go home, play with her dog and
    cook for herself, the counselor asks "Have you thought about what it might take to get
    there?" (AnnoMI 77; 91: "have you thought about when you wanted to quit by?"). The review
    codes it unasked advice (micro-skills) / Persuade (MITI), lists it under "try instead" with
    "Would it be all right if I shared an idea that has helped others?" ("Asking permission first
    turns unasked advice into advice the client can weigh."), and the goal becomes "ask
    permission before giving advice, and give none unasked".

    Why it is wrong: the question suggests nothing; it asks the client for her own plan, which is
    evoking (AnnoMI's experts code all three as questions, none as advice). The suggested
    "better" reply replaces evoking the client's ideas with offering the counselor's own: the
    opposite of what MI teaches. Cause: `coding.SUGGESTION_OPENINGS` holds "have you thought
    about" whatever follows, so a wh-clause ("what it might take", "when you wanted to quit by")
    reads as "Have you thought about nicotine patches?"."""
    excerpt, turn, question = EVOCATIVE[case]
    seen = _review(db, excerpt, rubric)
    assert question in seen.text(turn)
    codes = seen.codes.get(turn, [])
    assert not {"advice", "persuade"} & set(codes), f"{question!r} coded {codes}\n{seen.describe()}"
    told = [t for t in seen.try_instead if t.turn == turn and ASK_PERMISSION.search(t.why)]
    assert not told, f"{question!r} corrected as unasked advice\n{seen.describe()}"
    if excerpt is T77:  # no other turn of the excerpt advises
        assert not ASK_PERMISSION.search(seen.goal), seen.describe()


# 2. A lecture is no affirmation for saying "strength" ---------------------------------------------
# AnnoMI transcript 27 (low quality, "asthma management"), turns 17-20.
T27_LECTURE = [
    ("counselor", "It's you that I'm worried about, Sal. It's you that I'm worried about, okay? The-the symptoms are worse. You've had two or three major asthma attacks. And-and do you appreciate how-- This is, uh, a risk to your life that there are some-some adults with severe asthma who actually can die as a result of their symptoms? It-it truly is something to take very, very seriously. I can't emphasize that enough."),  # 17
    ("client", 'So, Oscar is gonna make me die? He hasn\'t made me die in 12 years, and the doctor is saying, "Oh, I don\'t know if it\'s the stress, the finances, the drinking." So, what are we doing saying Oscar could make me die? I\'ve had him for 12 years.'),  # 18
    ("counselor", "Sal, what, uh, do you understand that what happened 6 years ago or 10 years ago, your asthma is progressively getting worse. You know very well that the puffers, the strength of the medication is getting higher and higher, and there's only so much that can be done with medication alone. You know this."),  # 19
    ("client", "Well, they can keep giving me more medicine and give me the strongest one, and I'll keep Oscar."),  # 20
]  # fmt: skip


def test_a_lecture_that_mentions_the_strength_of_a_medication_is_not_an_affirmation(db):
    """What the student sees (MITI rubric): "Sal, what, uh, do you understand that ... your
    asthma is progressively getting worse. You know very well that the puffers, the strength of
    the medication is getting higher and higher, ... You know this." (AnnoMI 27, low quality;
    the experts code it therapist input, information) is coded Affirm and listed as a strength:
    "Coded as affirm: it follows the client's lead and invites them to say more."

    Why it is wrong: it is the counselor lecturing a client who just pushed back ("So, Oscar is
    gonna make me die?"), with "You know very well ... You know this."; it affirms nothing about
    the client. It also counts towards MI-adherent in MITI's totals. Cause: `coding.AFFIRM`
    holds the bare word "strength", so "the strength of the medication" reads as praise of the
    client's strengths (`coding._adherent` turns the information into Affirm)."""
    seen = _review(db, T27_LECTURE, "miti")
    assert "the strength of the medication" in seen.text(3)
    praised = [(s.quote, s.comment) for s in seen.strengths if s.turn == 3]
    assert not praised, f"the lecture praised: {praised}\n{seen.describe()}"
    assert "affirm" not in seen.codes.get(3, []), f"{seen.codes}\n{seen.describe()}"


# 3. "It's your choice, but you're really choosing to make yourself sick and potentially die" ----
# AnnoMI transcript 123 (low quality, "smoking cessation"), turns 23-26.
T123_CHOICE = [
    ("counselor", "Okay, well, that's a good start, but cutting back isn't going to do it. If you actually quit the smoking, you can reverse all the damage you've done in your mouth, and you can stop yourself from- from being at risk for these other diseases. But as long as you're continuing to use these cigars you're really putting yourself in a lot of danger."),  # 23
    ("client", "Well, I don't believe that they are cigars. And what I do believe is that it's a choice and it's my right, and it's something that I choose to do. And so I will think about cutting back, but I'm not at a point where I'm ready to do that. And I'm not really sure that I even believe that what you're telling me is real."),  # 24
    ("counselor", "You're choosing to really damage your mouth and actually, it can cause problems with your teeth too. I don't know if you notice your teeth might be getting yellower than they were before. That's another side effect. There are a lot of really negative things that go along with any tobacco use, whether it's cigarettes, cigars, dip, chew, snuffs, snus, hookah, any of it. This is a really important decision that you're making and you said it's your choice, but you're really choosing to make yourself sick and potentially die."),  # 25
    ("client", "Well, it's something that I'll think about."),  # 26
]  # fmt: skip


def test_your_choice_but_you_are_choosing_to_make_yourself_sick_is_no_autonomy(db):
    """What the student sees (MITI rubric): the client says it's her choice and her right; the
    counselor answers "You're choosing to really damage your mouth ... you said it's your choice,
    but you're really choosing to make yourself sick and potentially die." (AnnoMI 123, low
    quality; the experts code it therapist input). The review codes it Emphasizing Autonomy and
    lists it as a strength ("it follows the client's lead").

    Why it is wrong: it is the "choice put as a threat" the README says is coded Confront ("It's
    your choice if you want to keep on hurting your kids."): the client's autonomy is named only
    to be argued with, followed by a warning of sickness and death. Cause:
    `coding._THREATENED` knows "want to hurt/ruin/...", "drink yourself to death", "kill
    yourself", not "choosing to make yourself sick and (potentially) die" or "damage your
    mouth", so `_adherent` sees "your choice" and calls the warning autonomy."""
    seen = _review(db, T123_CHOICE, "miti")
    praised = [(s.quote, s.comment) for s in seen.strengths if s.turn == 3]
    assert not praised, f"the warning praised: {praised}\n{seen.describe()}"
    assert "emphasizing_autonomy" not in seen.codes.get(3, []), f"{seen.codes}\n{seen.describe()}"


# 4. "You might be better off without them" is advice in a reflection's words --------------------
# AnnoMI transcript 44 (low quality, "reducing alcohol consumption"), turns 117-124.
T44_FRIENDS = [
    ("counselor", "Okay. Um, so I mean, do you think they're really good friends of yours if they're gonna give you such a hard time?"),  # 117
    ("client", "My close ones, I know they wouldn't be, you know, have a problem with that. But the ones that I'm not that close with, but I'll still like hang out with-"),  # 118
    ("counselor", "Uh-huh."),  # 119
    ("client", "-those are probably the ones that like might ostracize me for something or."),  # 120
    ("counselor", "It sounds like you might be better off without them though. They\u2019re-"),  # 121
    ("client", "Yeah."),  # 122
    ("counselor", "- maybe not very good friends."),  # 123
    ("client", "Probably, might be too judgmental."),  # 124
]  # fmt: skip
# AnnoMI transcript 53 (low quality, "reducing alcohol consumption"), turns 85-90.
T53_FRIENDS = [
    ("counselor", "Okay, and-and what if they won't?"),  # 85
    ("client", "Well, then, I guess, I'll just try to hang around them less or something. I'll try to find things for us to do that don't involve alcohol like a party or anything."),  # 86
    ("counselor", "Yeah. Probably if your friends won't quit drinking, you should just find new friends."),  # 87
    ("client", "Okay."),  # 88
    ("counselor", "'Cause, you know, the problem is if they're drinking, they're gonna pressure you into drinking and then you're gonna feel awkward and, you know, you're gonna be stuck and-and not know what to do and really you'd just be better off probably without them. If they're- if they're the kind of people who are gonna keep drinking-"),  # 89
    ("client", "Yeah."),  # 90
]  # fmt: skip
BETTER_OFF = {
    "t44_might_be_better_off_miti": (T44_FRIENDS, 5, "miti"),
    "t53_you'd_just_be_better_off_miti": (T53_FRIENDS, 5, "miti"),
    "t53_you'd_just_be_better_off_micro": (T53_FRIENDS, 5, None),
}


@pytest.mark.parametrize("case", list(BETTER_OFF))
def test_you_might_be_better_off_without_them_is_not_praised(db, case):
    """What the student sees: "It sounds like you might be better off without them though."
    (AnnoMI 44, low quality) and "... really you'd just be better off probably without them."
    (AnnoMI 53, low quality, right after "you should just find new friends") are listed as
    strengths: "Coded as complex reflection: it follows the client's lead and invites them to say
    more." (53 in micro-skills: "other and reflection of feeling").

    Why it is wrong: the product's own rule says "you'd be better off" is advice in a
    reflection's words (`coding.ADVICE_AS_REFLECTION`, the README's "It sounds like you should
    cut out caffeine"): here the counselor steers a teenager to drop her friends, the righting
    reflex both low-quality sessions are marked for. Praising it teaches the student that a
    prescription after "It sounds like" is a reflection. Cause: the list has "you'd be better
    off" / "you would be better off" only, so "you might be better off" and "you'd just be
    better off" (and `_AS_MEANT`'s "just" before "should/need to/better" does not reach "be
    better off") pass."""
    excerpt, turn, rubric = BETTER_OFF[case]
    seen = _review(db, excerpt, rubric)
    assert "better off" in seen.text(turn)
    praised = [(s.quote, s.comment) for s in seen.strengths if s.turn == turn]
    assert not praised, f"steering praised: {praised}\n{seen.describe()}"


# 5. A permission ask corrected as unasked advice -------------------------------------------------
# AnnoMI transcript 3 (high quality, "problem recognition"), turns 11-14.
T3_PERMISSION = [
    ("counselor", "Okay. Um, and so what I hear is that you're-- you feel like your wife might be, uh, overreacting to this?"),  # 11
    ("client", "Well, I mean, not really overreacting. I know that she loves me and I know she-she wants me, uh, you know, live a long time and be healthy, but just sometimes, especially if you work a hard job, like kinda going out to eat at these places kinda makes you feel a little bit better about your situation."),  # 12
    ("counselor", "Sure. Sure. Okay. Um, and so one thing I'd just like to do is maybe give you some information on, um, maybe obesity or diabetes if you're interested or open to that. If you're, you know--?"),  # 13
    ("client", "Sure. [unintelligible 00:01:33]"),  # 14
]  # fmt: skip


@pytest.mark.parametrize("rubric", [None, "miti"])
def test_asking_permission_to_give_information_is_not_corrected_as_unasked_advice(db, rubric):
    """What the student sees: "one thing I'd just like to do is maybe give you some information
    on, um, maybe obesity or diabetes if you're interested or open to that." (AnnoMI 3, high
    quality; the experts code it an open question) is coded unasked advice and listed under "try
    instead" with "Would it be all right if I shared an idea that has helped others? ..." and
    "Asking permission first turns unasked advice into advice the client can weigh."

    Why it is wrong: the counselor did exactly that: offered information and asked whether the
    client wants it (and the client said "Sure."). Telling a student who asked permission to ask
    permission, and calling their permission ask unasked advice, is the feedback that makes them
    doubt the skill they used. Cause: "if you're interested" is in `coding.PERMISSION`, but the
    learned layer's advice label (`persuade`) is only turned into `persuade_with_permission` in
    `_apply_rules`; here the advice label sits in `rest` beside an open question, so the
    permission never reaches it (and the try-instead template reads any "advice" code)."""
    seen = _review(db, T3_PERMISSION, rubric)
    told = [
        (t.quote, t.better_reply, t.why)
        for t in seen.try_instead
        if t.turn == 3 and ASK_PERMISSION.search(t.why)
    ]
    assert not told, f"a permission ask told to ask permission: {told}\n{seen.describe()}"
    assert not {"advice", "persuade"} & set(seen.codes.get(3, [])), seen.describe()


# 6. "Try instead" quotes the kind words instead of the advice ------------------------------------
# AnnoMI transcript 27 (low quality), turns 13-16.
T27_FANTASTIC = [
    ("counselor", "-and you are very concerned about your health, you wanna be there for your baby and that you've already taken some steps, you've-you've almost quit smoking-"),  # 13
    ("client", "Mm-hmm."),  # 14
    ("counselor", "-which is fantastic. So, the next step is to really deal with the dog, deal with the pet. I know it's- so- It's gonna be hard to do that. But there are always people who will adopt animals. I'm sure that you have friends or family members."),  # 15
    ("client", "Uh, this is a little too much for me now. First of all, John Carlo is taken care of. That's fine. He doesn't have- no asthma from the dog. It's just me. I don't ha\u2014"),  # 16
]  # fmt: skip
# AnnoMI transcript 30 (high quality, "charging battery"), turns 17-20.
T30_CHOICE = [
    ("counselor", "Um, so I know that you, you know, you know the consequences of it, and yet you're sharing with me it's just not a priority for you at this time."),  # 17
    ("client", "Nope."),  # 18
    ("counselor", "Okay. You know, that is your choice. I mean, I-I-I can't make those choices for you, it is something that you decide to do. Um, so with that being said then, these will be the consequences. I'll have to read the-the violation for you."),  # 19
    ("client", "Yeah, whatever. I Know you got to do your job, but I don't care."),  # 20
]  # fmt: skip
# AnnoMI transcript 74 (low quality, "better oral health"), turns 7-10.
T74_GORGEOUS = [
    ("counselor", "You're-"),  # 7
    ("client", "-it seems kind of cool"),  # 8
    ("counselor", "-gorgeous. Your teeth are lovely. You do not need a piercing."),  # 9
    ("client", "Well, I mean, nobody needs a piercing, I wanted one. It was a-"),  # 10
]  # fmt: skip
# AnnoMI transcript 92 (low quality, "asthma management"), turns 7-10.
T92_ARGUE = [
    ("counselor", "Well, I-I need to tell you that the-the medicine that she's taking, the chronic inhaler, which is really essential to controlling her asthma does-- is not a steroid like you're thinking. It's-it's much safer, it's very safe, she-- and she needs to take it to get her asthma under control, and I also want to tell you that, uh, your smoking does affect her asthma, even if- even if it's outside, it gets on her clothes, and to be honest, I'd like to see you quit smoking for you anyway. But, uh, if you want to keep her out of the emergency room, she needs to use that chronic inhaler every day, and you need to watch your smoking."),  # 7
    ("client", "Okay, I-I am not going to allow her to take any kind of steroid. I am not going to allow that to happen. She's my daughter. She's my responsibility, and I'm not going to allow that to happen, and I absolutely make sure that the smoking does not affect her."),  # 8
    ("counselor", "Okay, I, you know, I-I don't want to argue with you about this. I-I know that if you-you know, and if you want to keep Sarah out of the emergency room, uh, I-I just wish you'd heed what I'm saying. She needs to use that chronic inhaler every day to get her- to get her asthma under control, and the smoke on your clothes and the smoking flares her asthma up. So she really needs to use that chronic inhaler, and you really need to think about quitting smoking."),  # 9
    ("client", "Fine. I'm in a really big hurry, and I need to get those prescriptions filled as soon as possible, please."),  # 10
]  # fmt: skip
WRONG_QUOTE = {
    "t27_which_is_fantastic": (T27_FANTASTIC, 3, "-which is fantastic."),
    "t30_that_is_your_choice": (T30_CHOICE, 3, "You know, that is your choice."),
    "t74_your_teeth_are_gorgeous": (T74_GORGEOUS, 3, "-gorgeous."),
    "t92_i_dont_want_to_argue": (
        T92_ARGUE, 3, "Okay, I, you know, I-I don't want to argue with you about this."
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(WRONG_QUOTE))
def test_try_instead_quotes_the_advice_not_the_kind_words_before_it(db, case):
    """What the student sees: a "try instead" item whose quote, the words the student is told to
    replace, is the affirmation, autonomy statement or de-escalation that opened the turn:
    "-which is fantastic." (AnnoMI 27), "You know, that is your choice." (AnnoMI 30, high
    quality), "-gorgeous." (AnnoMI 74), "I-I don't want to argue with you about this." (AnnoMI
    92), each followed by "Would it be all right if I shared an idea ...?".

    Why it is wrong: the fault is in the sentences after ("the next step is to really deal with
    the dog", "these will be the consequences", "You do not need a piercing.", "you really need
    to think about quitting smoking"), but the student reads that their affirmation, autonomy
    statement or attempt to stop arguing was the poor reply, and learns to drop the MI-consistent
    part. Cause: `offline_review._quote` prefers a sentence that `_gives_advice` finds, and
    otherwise falls back to the turn's first sentence that says something; `_gives_advice` reads
    only the advice phrase lists, on the raw text (not `coding._as_meant`'s "you really need to"
    -> "you need to"), so advice without those words, or said insistently, leaves the first
    sentence quoted."""
    excerpt, turn, kind_words = WRONG_QUOTE[case]
    seen = _review(db, excerpt)
    items = [t for t in seen.try_instead if t.turn == turn]
    assert items, f"no try-instead for turn {turn}\n{seen.describe()}"
    assert items[0].quote != kind_words, (
        f"the try-instead corrects {kind_words!r} -> {items[0].better_reply!r}\n{seen.describe()}"
    )


# 7. Better replies that garble the client's words ------------------------------------------------
# AnnoMI transcript 123 (low quality), turns 11-14.
T123_CIGARETTES = [
    ("counselor", "Right. They're still cigars and they're still tobacco and so they still cause lung cancer, oral cancer, emphysema, all those same kinds of things that you would see with cigarette, so it's really important."),  # 11
    ("client", "Well, I only use them just to relax. I mean, it's not like it's something that I would smoke 20 or 30 cigarettes a day, I mean, I only do it when we go out."),  # 12
    ("counselor", "Uh-huh. Well, that's, I mean, at least you're not doing that, so that's good, but it's still causing a lot of problems. And as I said, I can see that the evidence in the roof of your mouth, you're causing some serious damage, and this needs to stop. Have you thought about quitting?"),  # 13
    ("client", "Well, I didn't really know I'd started."),  # 14
]  # fmt: skip
# AnnoMI transcript 90 (low quality, "reducing alcohol consumption"), turns 15-17.
T90_QUIT = [
    ("counselor", "Well, there's a lot of things that seem fun in the moment that we know aren't a good choice, right? That's some of the things we talk about all the time is making good choices for our life and-and really doing what's best for you. And I just, you know, I really think you should think about making a big change here."),  # 15
    ("client", "Mm. Yeah. I-I-I do see that maybe me drinking not as much would possibly better my life to-to a certain degree. And I-- it does make a lot of sense. And I-I guess I can put more effort into sort of lowering the level of drinking that\u2014"),  # 16
    ("counselor", "I think you really need to quit."),  # 17
]  # fmt: skip
# AnnoMI transcript 106 (low quality, "smoking cessation"), turns 19-21.
T106_TRY = [
    ("counselor", "I really need you to tell me that you're gonna quit smoking. This is really important."),  # 19
    ("client", "I'll-I'll-I'll go look at all those things and-and I'll find-- I guess I'll-I'll try to find something, and-and I'll talk to my doctor about it."),  # 20
    ("counselor", "Okay. Well, I think you really need to think about this seriously. Like I said, it's really putting yourself and your child in danger."),  # 21
]  # fmt: skip
GARBLED = {
    "t123_cut_before_day": (T123_CIGARETTES, 3),
    "t90_i_I_guess_and_cut_before_drinking": (T90_QUIT, 3),
    "t106_i'll_I'll_and_you_guess_I'll": (T106_TRY, 3),
}
# A reply cut off mid-phrase: it ends on an article, a preposition or a conjunction.
_CUT_OFF = re.compile(r"\b(?:a|an|the|of|to|and|or|but|like|that|with|for)\.", re.IGNORECASE)
# The client's stammered "I" left in the client's person ("i-I", "i'll-I'll", "I'll-I'll").
_FIRST_PERSON = re.compile(r"\b(?:i|i'll|i'm|i've|i'd)\b", re.IGNORECASE)


@pytest.mark.parametrize("case", list(GARBLED))
def test_better_reply_gives_the_clients_words_back_whole_and_in_the_students_voice(db, case):
    """What the student sees, as the better reply to say instead:
    "You said it's not like it's something that you would smoke 20 or 30 cigarettes a. Would it be
    all right if I shared an idea ...?" (AnnoMI 123: the client said "20 or 30 cigarettes a day");
    "You said i-I guess you can put more effort into sort of lowering the level of. Would it be
    all right ...?" (AnnoMI 90); "You said i'll-I'll-I'll go look at all those things and-and
    you'll find-- you guess I'll-I'll try. ..." (AnnoMI 106).

    Why it is wrong: a model reply is what the student copies. These cut the client's sentence
    off before its last word ("cigarettes a.", "the level of.") and keep the client's stammered
    "I" as the counselor's own ("You said i-I guess you can ..." reads as the counselor guessing;
    "you guess I'll-I'll try" mixes both persons in one clause), which misquotes the client, the
    fault reflections are meant to avoid. Cause: `offline_review._echo` cuts at `max_words` (14)
    wherever that falls, and turns round only whole words of `SECOND_PERSON`, so "I-I" and
    "I'll-I'll" stay first person (then `words[0]` is lower-cased to "i-I")."""
    excerpt, turn = GARBLED[case]
    seen = _review(db, excerpt)
    items = [t for t in seen.try_instead if t.turn == turn]
    assert items, f"no try-instead for turn {turn}\n{seen.describe()}"
    reply = items[0].better_reply
    said = reply.split(". Would it be all right")[0]
    assert not _CUT_OFF.search(said + "."), f"cut off mid-phrase: {reply!r}"
    assert not _FIRST_PERSON.search(said), f"the client's 'I' left in: {reply!r}"


# 8. A dentist's warning praised as following the client's lead ----------------------------------
# AnnoMI transcript 74 (low quality, "better oral health"), turns 13-20.
T74_WARNING = [
    ("counselor", "-those oral piercings can do to your teeth?"),  # 13
    ("client", "Oh, I mean, it's my lip that's pierced, not my teeth."),  # 14
    ("counselor", "Well, yes, except that, you know what's gonna happen. See how-- Do you feel how when you're moving your lips-- Smile for me. Okay. So, do you see how when your muscles are moving, that piercing is rubbing against your gums-"),  # 15
    ("client", "Yeah."),  # 16
    ("counselor", "-as well as your teeth. So, we can see some recession that's gonna start to happen-"),  # 17
    ("client", "Yeah."),  # 18
    ("counselor", "-possibly, um, affecting the tooth itself, chipping the tooth, et cetera. So, it's something that we definitely don't like to see."),  # 19
    ("client", "I mean, it's been okay so far. It hasn't caused me any problems."),  # 20
]  # fmt: skip


def test_a_warning_of_harm_is_not_praised_as_following_the_clients_lead(db):
    """What the student sees: the dentist's warning "-possibly, um, affecting the tooth itself,
    chipping the tooth, et cetera. So, it's something that we definitely don't like to see."
    (AnnoMI 74, low quality; the experts code it therapist input, information; the client had
    just said "it's my lip that's pierced, not my teeth") is the review's strength: "Coded as
    information and paraphrase: it follows the client's lead and invites them to say more."

    Why it is wrong: it is the third turn of an unasked warning the client is resisting, the
    pattern that makes the session low quality; it follows nobody's lead. Cause:
    `offline_review._good_rank` ranks a turn by its best code, so a paraphrase code the learned
    layer adds beside information makes the whole informing turn a strength (and `_strength`
    writes "follows the client's lead" for any code)."""
    seen = _review(db, T74_WARNING)
    praised = [(s.quote, s.comment) for s in seen.strengths if s.turn == 7]
    assert not praised, f"the warning praised: {praised}\n{seen.describe()}"
