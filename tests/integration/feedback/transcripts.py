"""Hand-written practice sessions (student line, client reply), each a kind of session a review
must not get wrong. Eleven student turns each unless said: past the 10-turn floor for ratings."""

# A skilled MI session: open questions, double-sided and complex reflections, autonomy, evoking.
SKILLED = [
    ("Hi, I'm glad you came in. What would you like to talk about today?",
     "My doctor says I need to cut back on drinking. I'm not sure I agree."),
    ("You're not sure the doctor is right about this.",
     "I mean, I only drink on weekends. But it's a lot on weekends."),
    ("On one hand it's only weekends, and on the other hand it adds up to quite a lot.",
     "Yeah. My wife worries about it too."),
    ("It sounds like the people who care about you are worried, and that matters to you.",
     "It does. I don't want her to be upset."),
    ("What would it look like if things were different?",
     "I guess I'd feel better on Mondays. And she'd stop nagging."),
    ("You're starting to see some benefits of cutting back.",
     "Maybe. But I don't want to give it up entirely."),
    ("It's your decision how much you drink, and giving it up entirely isn't what you want.",
     "Right. Maybe just less."),
    ("Part of you wants to keep enjoying weekends, and part of you wants to feel better and ease "
     "your wife's worry.", "That's exactly it."),
    ("What ideas do you have about drinking a bit less?", "Maybe I could skip Sunday drinking."),
    ("Skipping Sundays feels like a step you could take.", "Yeah, I think I can do that."),
    ("You sound more confident about that plan.", "I am, actually."),
]  # fmt: skip

# The counselor gives the client's words straight back, every turn, until the client walks out.
PARROT = [
    ("What brings you in today?", "I've been drinking more since I lost my job."),
    ("You've been drinking more since you lost your job.", "Yeah, mostly in the evenings."),
    ("Mostly in the evenings.", "It helps me not think about the bills."),
    ("It helps you not think about the bills.", "And my wife is upset with me."),
    ("Your wife is upset with you.", "She says I'm not the same person."),
    ("She says you're not the same person.", "I don't know what to do."),
    ("You don't know what to do.", "Maybe I should stop."),
    ("Maybe you should stop.", "But it's hard."),
    ("It's hard.", "Yeah."),
    ("Yeah.", "Are you just going to repeat everything I say?"),
    ("Am I just going to repeat everything you say.", "This is pointless."),
    ("This is pointless.", "Goodbye."),
]  # fmt: skip

# Warm words, hard confrontation: labelling, arguing, blaming (no "you should" advice in it).
CONFRONTING = [
    ("What brings you in today?",
     "My wife says I drink too much. I don't really think it's a problem."),
    ("With respect, you're in denial about your drinking.",
     "I'm not in denial. I just like a few beers after work."),
    ("Come on, you know it's hurting your marriage.", "She overreacts. I'm fine."),
    ("I say this gently, but that's just an excuse.", "It's not an excuse, it's how I unwind."),
    ("You're kidding yourself if you think this is under control.",
     "I guess I could cut down a bit."),
    ("You always say that and you never do it.", "That's not fair."),
    ("Honestly, a responsible father would quit.", "Now you sound like her."),
    ("You'll need to face the facts at some point.", "Whatever."),
    ("I don't believe you when you say you're fine.", "Then why am I even here?"),
    ("Admit it, the drinking is the problem.", "Okay, maybe."),
    ("You're just making this harder than it needs to be.", "I'm leaving."),
]  # fmt: skip

# Every "reflection" is a prescription.
ADVICE_AS_REFLECTION = [
    ("What brings you in today?", "I can't sleep. I lie awake worrying about work."),
    ("It sounds like you should cut out caffeine after lunch.", "I only have one coffee."),
    ("It sounds like you need to get off your phone before bed.", "I read on it, it relaxes me."),
    ("So you'd be better off going to bed at the same time every night.",
     "My shifts change though."),
    ("It seems like the answer is to ask your boss for fixed shifts.", "He won't do that."),
    ("Sounds like you ought to look for a new job then.", "That's not easy right now."),
    ("It sounds like what you really need is to try melatonin.", "I don't like taking pills."),
    ("You're saying you'd rather not, but it sounds like you should at least try it.", "Maybe."),
    ("It sounds like the best thing would be to see your doctor this week.", "I guess."),
    ("It sounds like you need to stop worrying so much about work.", "Easier said than done."),
    ("So it seems like you should write your worries down before bed.",
     "Okay, I could try that."),
]  # fmt: skip

CLOSED_ONLY = [
    ("Do you drink every day?", "Most days, yes."),
    ("Is it more than six beers?", "Sometimes."),
    ("Did your wife ask you to come?", "Yes."),
    ("Are you working at the moment?", "No, I was laid off."),
    ("Was that in the last month?", "Two months ago."),
    ("Do you drink in the mornings?", "No."),
    ("Have you had a DUI?", "No."),
    ("Is your wife angry?", "Yes, very."),
    ("Do you want to stop?", "I don't know."),
    ("Are you sure?", "Yes."),
    ("Is there anything else?", "No."),
]  # fmt: skip

# The counselor "reflects" things the client never said; the client says so, again and again.
MISQUOTING = [
    ("What brings you in today?", "I love my wife, but we argue about money a lot."),
    ("So you said you hate your wife.", "No, I said I love her. We just argue about money."),
    ("You're saying the marriage is over.", "I never said that."),
    ("It sounds like you want a divorce.", "What? No."),
    ("You feel your wife is the problem.", "I didn't say that either."),
    ("You told me you spend all the money on gambling.", "I don't gamble."),
    ("It sounds like you're angry at your kids.", "We don't have kids."),
    ("You feel like leaving.", "No."),
    ("So you've given up on her.", "You're not listening."),
    ("You feel unheard by your wife.", "By you, actually."),
    ("It sounds like you're frustrated with your wife.", "I'm frustrated with you."),
]  # fmt: skip

# Each turn opens with a filler or a courtesy; what the turn does comes after it.
LEAD_INS = [
    ("Okay. So what would you like to change about your drinking?", "I want to cut down."),
    ("Right. You want to cut down because it's affecting your health.",
     "Yes, my doctor said so."),
    ("I hear you. You need to quit completely, cutting down never works.",
     "I don't think I can."),
    ("Thanks for sharing. Have you tried AA?", "Once. I didn't like it."),
    ("Sure. Why don't you just try again?", "Maybe."),
    ("Mm. Do you drink every day?", "Yes."),
    ("Okay. Is it more than five drinks?", "Yes."),
    ("Got it. How do you feel about that?", "Ashamed."),
    ("I see. You feel ashamed of how much you drink.", "Yes."),
    ("Okay. What would help you most right now?", "Support."),
]  # fmt: skip

_LECTURE = (
    " Let me explain what alcohol does to the body, because this is really important. Alcohol "
    "is processed by the liver, and when you drink heavily for years the liver becomes inflamed "
    "and scarred. That scarring is called cirrhosis and it cannot be reversed. Drinking also "
    "raises your blood pressure and damages your heart. It affects your sleep, your mood and "
    "your memory. Many people think a few beers are harmless, but the guidelines are clear. Men "
    "should not regularly drink more than fourteen units a week. You are well above that. The "
    "good news is that if you stop now, your liver can recover a great deal. So the plan is "
    "simple: stop drinking, see your doctor, and come back in two weeks."
)
# Five 150-word lectures, each opened by one reflective sentence, between short reflections.
MONOLOGUES = [
    ("What brings you in today?", "My doctor said my liver tests were bad. I'm a bit scared."),
    ("It sounds like you're worried about your health." + _LECTURE, "Okay."),
    ("It sounds like you feel scared about your liver.", "Yes."),
    ("You're feeling anxious about this." + _LECTURE, "I see."),
    ("You feel overwhelmed by all of this.", "Yeah."),
    ("It sounds like this is a lot." + _LECTURE, "Fine."),
    ("You're feeling a bit lost.", "Mm."),
    ("It sounds like you're unsure." + _LECTURE, "Okay."),
    ("You feel frustrated.", "Sure."),
    ("You feel tired of hearing this." + _LECTURE, "Bye."),
    ("You're feeling done for today.", None),
]  # fmt: skip

# Spanish: "You're in denial, you have to stop drinking now", "You should go to AA", ...
SPANISH_CONFRONTING = [
    ("¿Bebes todos los días?", "No, solo los fines de semana."),
    ("Estás en negación, tienes que dejar de beber ya.", "No estoy en negación."),
    ("Sí lo estás. Deberías ir a Alcohólicos Anónimos.", "No quiero."),
    ("Tienes que dejar de beber ahora mismo.", "No."),
    ("Eso es solo una excusa.", "No es una excusa."),
    ("Un padre responsable dejaría de beber.", "Eso no es justo."),
    ("Deberías tirar todo el alcohol hoy.", "No."),
    ("Te estás engañando a ti mismo.", "Me voy."),
    ("Tienes que admitirlo.", "Adiós."),
    ("Debes hacerme caso.", "No."),
    ("Estás destruyendo a tu familia.", "..."),
]  # fmt: skip


def with_typos(lines):
    """The same session typed in a hurry (transposed letters, "your" for "you're")."""

    def typo(text: str) -> str:
        return (
            text.replace("you", "yuo")
            .replace("the", "teh")
            .replace("ing", "nig")
            .replace("You're", "Your")
            .replace("It sounds", "It sonuds")
        )

    return [(typo(student), client) for student, client in lines]  # fmt: skip
