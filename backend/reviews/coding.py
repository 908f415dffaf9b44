"""The offline coder: what each student turn does, in any rubric's codes, without a model.

Two layers, so a teacher can check any code it gives:

1. **Learned** (`learned_coder`): a model trained on AnnoMI's expert codes names the turn's main
   behaviour (question, reflection, therapist input, other), the other behaviours in the same
   turn, and the subtypes (open/closed, simple/complex, information/advice/options/negotiation).
   The client's previous turn is always an input.
2. **Rules** for what AnnoMI does not teach (its "other" holds affirmations and greetings alike;
   its "therapist input" mixes neutral information with unasked advice): phrase lists for
   confront, affirm, emphasize autonomy, seek collaboration, asking permission, advice words and
   suggestions put as questions. They run after the learned layer, in `RULES` order.

From AnnoMI's classes to each rubric's codes (one table; a teacher's own rubric gets the same
key when it has it, else a stand-in of `STAND_INS`, else its first code of the same kind):

| learned class, subtype            | MITI 4.2.1 (`miti`)                      | micro-skills                |
|-----------------------------------|------------------------------------------|-----------------------------|
| question, open / closed           | open_question / closed_question (1)      | open_question / closed_question |
| reflection, simple / complex      | simple_reflection / complex_reflection   | paraphrase / reflection_of_feeling (2); summary (3) |
| therapist input, information      | giving_information                       | information                 |
| therapist input, advice / options | persuade; persuade_with_permission (4)   | advice; other (4)           |
| therapist input, negotiation      | seeking_collaboration                    | other                       |
| other                             | not_coded, unless a rule below names it  | not_coded, unless a rule    |
| rule: confront                    | confront                                 | advice (5)                  |
| rule: affirm / autonomy / collaboration | affirm / emphasizing_autonomy / seeking_collaboration | other |
| rule: suggestion as a question, advice words (also in a reflection's words) | persuade (4) | advice (4) |
| rule: a "reflection" with figures the client did not say | giving_information | information                 |
| rule: markers of open/closed, simple/complex, information | the marked subtype | the same                |
| rule: a reflection stem, then a question | adds a reflection code          | adds a reflection code      |

(1) MITI 4.2.1 has one Question code; the open/closed split is MITI 3.1.1's and the MISC's.
(2) a reflection that names a feeling word is a reflection of feeling, else a paraphrase.
(3) a reflection with a summary phrase ("let me sum up") is a summary (a complex reflection in MITI).
(4) after permission (asked in this turn or the student's previous one) advice is
    persuade_with_permission in MITI, and "other" in micro-skills (its "advice" means unasked).
(5) micro-skills has no confront code; its "advice" is its one MI-non-adherent code, so arguing
    with or labelling the client counts against the score as unasked advice does. The review's
    "try instead" still speaks of confronting.
A turn that gives most of the client's last words back in their order (parroting) is no
reflection: "other" where the rubric has it (it then counts for the score as a turn that did
nothing), else not coded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from backend.reviews.learned_coder import LearnedCoder, Prediction, default_coder
from backend.reviews.phrases import LEAD_IN, TurnText, has_words
from backend.reviews.rubric_schema import NOT_CODED, RubricDefinition

# Phrase lists, each read by one rule (whole words, lower case, straight quotes).
CONFRONT = (
    "in denial", "come on", "an excuse", "same excuse", "you know it", "same thing last",
    "is that what you want", "why would you", "why do you keep", "you never", "you always",
    "a responsible", "what's wrong with you", "you're lying", "that's not true",
    "you're kidding yourself", "you need to face", "face the facts", "admit it",
    "i don't believe", "harder than it needs", "you're making excuses",
    # MITI 4.2.1's Confront also moralizes, shames, warns and ridicules (none in AnnoMI's 88
    # sessions; "selfish", "wrong" and "stupid" alone are in its reflections).
    "you're selfish", "disgusting", "should be ashamed", "a decent person", "decent people",
    "terrible thing to do", "deserves better", "men like you", "people like you", "report you",
    "be expelled", "or else", "ends badly for you", "you'll regret", "don't think i won't",
    "you'll be sorry", "lol", "what a shock", "shocker", "genius", "precious", "poor you",
    "boo hoo", "yeah right", "so hard being you", "real tragedy", "sorry for yourself",
    "make excuses", "want to ruin",
    "what is wrong with you",
    # "You're just ..." only as blame: "You're just running on empty" reflects.
    "you're just making", "you're just being", "you're just lazy", "you're just looking for",
    "you're just using", "you're just wasting", "you're just doing it to", "you're just angry at",
    # Each only in AnnoMI's low-quality sessions, where it had been corrected as advice wanting
    # permission (an attack, 2026-12-07); "makes no sense to me" not with "either" nor after
    # "if" (`_NOT_CONFRONT`: siding with the client, a check: an attack on the day's fixes).
    "makes no sense to me", "i just told you", "what do you mean, maybe",
    "do you understand how important", "don't want that to happen, do you",
)  # fmt: skip
#: Arguing only where a sentence opens with it ("It sounds like your dad thinks you need to take
#: responsibility" reflects: an attack on the day's fixes, 2026-12-07).
CONFRONT_OPENINGS = ("you need to take responsibility",)
# What holds a confrontation's words without being one: a reflection of what the client never
# expected ("You never expected it to feel this hard"), wanting to be a responsible parent, MI's
# evoking "Why would you want to ...?" (not to ruin, lose or throw something away), cravings that
# come on and help that comes on board.
_NOT_CONFRONT = re.compile(
    r"(?<![a-z'])(?:you (?:never|always) (?:\w+ )?(?:expected|imagined|pictured|dreamed|planned|"
    r"meant|intended|reali[sz]ed|got to|seemed)"
    r"|you (?:always|never) (?:put|look after|take care of) (?:everyone|others|other people)"
    r"|(?:be|being|become|you're|you are) a responsible|to admit it"
    r"|(?:cravings?|urges?|it|they|pain|panic|anxiety|feelings?) comes? on|come on board"
    r"|come on (?:in|over|back|through)"
    r"|you never (?:wanted to end up|thought you'd|saw yourself|pictured yourself)"
    r"|you always (?:come back|keep going|get back up|pick yourself up)(?:,|$| even| again)"
    r"|why would you want to (?!ruin|lose|throw|waste|wreck|destroy|risk|give up)"
    r"|makes no sense to me,? (?:either|too|as well|neither)|if (?:that|this|it) makes no sense"
    r")"
)
# One clause: up to a comma, a semicolon or a "but", "and" or "so" that starts another.
_CLAUSE = r"(?:(?! (?:but|and|so|yet) )[^.?!,;])*"
# The client's own view of themself given back as theirs, in other words: "You feel you haven't
# been a responsible father", "Part of you suspects you're making excuses", "It feels to you like
# you always let them down" (an attack, 2026-12-07). The frame holds a clause ("You feel sorry
# for yourself" stays sarcasm) and covers that clause only: the student's own verdict after it
# ("..., but you're in denial.") is theirs, and so is one that agrees with it ("You feel like
# it's an excuse, and it is."). "In denial" is a label, never the client's own view.
_CLIENTS_VIEW = re.compile(
    r"(?<![a-z'])(?<!don't )(?<!do )(?:you feel(?: like| that)?|you're feeling like"
    r"|it feels to you like"
    r"|part of you (?:suspects|thinks|believes|feels|wonders|worries|knows|fears|says)(?: that)?"
    r"|you(?:'re)? (?:wonder|wondering|worry|worried|suspect|fear|afraid|scared)"
    r"(?: if| whether| that)?"
    r"|you (?:keep )?tell(?:ing)? yourself(?: that)?) "
    r"(?=(?:you|you're|you've|you'll|you'd|i|i'm|it|it's|he|she|they|nobody|no one|everyone"
    r"|everything|your)(?![a-z']))" + _CLAUSE + r"|(?<![a-z'])you see yourself as " + _CLAUSE
)
_ENDORSED = re.compile(
    r"^\s*[,;]?\s*(?:and|but)?,?\s*(?:honestly,? |frankly,? |to be honest,? |i think )?"
    r"(?:it is|it's true|that's true|that's right|i agree|you will|you are|you do|you're right"
    r"|it does|they are|you have)(?:,? (?:really|too|actually|honestly))?\s*(?:[.!?]|$)"
)
_NEVER_THEIRS = re.compile(r"(?<![a-z'])in denial(?![a-z'])")


def _without_clients_view(text: str) -> str:
    """`text` with each clause that gives the client's own view back (`_CLIENTS_VIEW`) taken
    out, unless the student then agrees with it or it holds a label."""

    def kept(match: re.Match[str]) -> str:
        agreed = _ENDORSED.match(text[match.end() :])
        return match.group() if agreed or _NEVER_THEIRS.search(match.group()) else " - "

    return _CLIENTS_VIEW.sub(kept, text)


# Words of a phrase that say nothing of their own (the client's "me" is the student's "you").
_FUNCTION_WORDS = frozenset((
    "a", "an", "the", "you", "you're", "you'll", "your", "yourself", "i", "i'm", "i'll", "me",
    "my", "is", "are", "was", "be", "that", "it", "so", "what", "of", "to", "in", "at", "on",
    "not",
))  # fmt: skip


def _words_of(text: str) -> set[str]:
    """The words of a turn, lower case with straight apostrophes (what the client said)."""
    return set(re.findall(r"[a-z']+", text.lower().replace("\u2019", "'")))


# A question asked to blame, not to learn (MITI's Confront disapproves and shames): the sentence
# opens with it and asks it ("How could you do that to your kids?", "How could you?!", "What were
# you thinking, driving drunk?", "Why can't you just stop?"). Not inside a reflection ("You keep
# asking yourself how could you let that happen."), nor asking what they thought ("What were you
# thinking about when you came in?") or how they might ("How could you do it differently?").
_BLAMING_QUESTION = re.compile(
    r"^(?:how could you(?: (?:do|let|say|be so|treat|put|leave|even|possibly)\b(?!.*\b(?:"
    r"differently|instead|next time|if)\b).*)?"
    r"|what (?:the hell |on earth |in the world )?were you thinking(?:,.*)?"
    r"|why can't you just\b.*"
    r"|what(?: the hell| on earth|'s| is)(?: the hell)? (?:is )?wrong with you.*"
    r"|what was that about)[?!]+$"
)
# ... and hindsight put as a question about a past act, with what it could have led to or
# without a question's mark ("What were you thinking when you got into your car after six
# beers, you could have killed somebody."; an AnnoMI low-quality session's turn, an attack,
# 2026-12-07). "What were you thinking when you decided to come in?" asks.
_BLAMING_HINDSIGHT = re.compile(
    r"^what (?:the hell |on earth |in the world )?were you thinking (?:when|while|driving|getting"
    r"|going|doing|drinking|letting|leaving|taking)(?![a-z'])"
    r".*,\s*(?:and )?you (?:could|might)(?: have|'ve| of) (?:been )?(?:killed|hurt|died|caused|crashed"
    r"|injured|lost|ended up|ruined|wrecked)(?![a-z']).*$"
)
# A choice put as a threat ("It's your choice if you want to keep hurting your kids."; "Only you
# can decide whether your kids matter more than beer."): autonomy's words around harm, or a doubt
# about what matters that the client never raised, which MITI codes Confront, not Emphasizing
# autonomy. A choice between two ways ("whether you want to keep drinking or cut back") and the
# client's own values given back ("you've said your kids matter more than anything") are autonomy.
_THREATENED = re.compile(
    r"(?<![a-z'])(?:(?:want to|wanna) (?:keep (?:on )?)?(?:lose|losing|hurt|hurting|destroy|wreck"
    r"|throw away|waste|ruin|ruining|let (?:them|everyone|\w+) down)"
    r"|keep (?:on )?(?:hurting|ruining|letting (?:them|everyone|\w+) down)"
    r"|drink yourself to death|kill yourself"
    # "it's your choice, but you're really choosing to make yourself sick and potentially die"
    # (AnnoMI 123, low quality; an attack, 2026-12-07)
    r"|(?:choosing|choose|chose) to (?:make yourself (?:sick|ill)|die|damage|hurt yourself)"
    r"|(?:whether|if) (?:[\w']+ ){1,3}(?:matters? more|(?:is|are) more important) (?:to you )?than)"
    r"(?![a-z'])"
)


def confronts(text: TurnText, heard: str = "") -> bool:
    """Whether the turn argues with the client: a phrase of `CONFRONT`, not inside one of the
    reflections or evoking questions that share its words, nor given back from what the client
    just said (`heard`: "You're afraid they'll report you" after "... will report me"); a question
    that is all blame; or a threat in autonomy's words."""
    plain = TurnText(_without_clients_view(_NOT_CONFRONT.sub(" - ", text.all)))
    said = _words_of(heard)
    if any(
        plain.has((phrase,)) and not set(phrase.split()) - _FUNCTION_WORDS <= said
        for phrase in CONFRONT
    ) or any(
        plain.opens_with((phrase,)) and not set(phrase.split()) - _FUNCTION_WORDS <= said
        for phrase in CONFRONT_OPENINGS
    ):
        return True
    return any(
        _BLAMING_QUESTION.match(LEAD_IN.sub("", sentence))
        or _BLAMING_HINDSIGHT.match(LEAD_IN.sub("", sentence))
        or (TurnText(sentence).has(AUTONOMY) and _THREATENED.search(sentence))
        for sentence in text.sentences
    )


PERMISSION = (
    "would it be ok if i", "would it be okay if i", "would it be all right if i", "may i",
    "can i share", "would it be okay to", "would it be ok to", "is it okay if we",
    "is it ok if we", "would you mind if", "would you like to hear", "if you'd like to hear",
    "if you're interested", "since you asked", "take it or leave it", "may not fit",
    "might not fit", "would you like some", "would you like me to", "see what you think",
)  # fmt: skip
# An offer left to the client: each of these is in a high-quality AnnoMI session only, where it
# had been corrected as unasked advice, "ask permission first" (an attack, 2026-12-07). It asks
# permission in its own turn only, and not where the turn tells the client what to do ("You have
# to go to AA. Would you be open to that?", "You should quit if you're willing to save your
# marriage": an attack on the day's fixes).
OFFERS = (
    "would you be open to", "you'd be open to", "if you want to.", "if you want to,",
    "if you wanted to,", "if you wanted to.", "if you'd be willing", "if you would be willing",
    "if you're willing", "if you are willing", "what do you think of a idea",
    "what do you think of an idea", "what do you think of the idea",
    "what do you think of that idea", "what would you think about", "what would you think of",
    "how does that sound", "how would that sound", "if you'd like.",
)  # fmt: skip


# Orders an offer cannot soften ("Stop drinking tonight. Would you be open to that?", "Your only
# option is to quit. How does that sound?": credited as collaboration, an attack on the day's
# fixes): an imperative opening a sentence, or a necessity put on the client.
ORDER_OPENINGS = (
    "stop", "quit", "pour", "get rid", "throw", "cut", "go to", "call", "give up", "put",
    "don't", "do not", "never",
)  # fmt: skip
ORDERS = (
    "going to have to", "i want you to", "your only option", "the only option",
    "your only way", "the only way", "you will", "you're going to stop", "you're going to quit",
)  # fmt: skip


def asks_permission(t: TurnText, told: TurnText | None = None) -> bool:
    """The turn asks before it advises: an explicit ask (`PERMISSION`), or an offer left to the
    client (`OFFERS`) in a turn that tells nothing (`told`: the turn as it tells, if read)."""
    told = told or t
    return t.has(PERMISSION) or (
        t.has(OFFERS)
        and not told.opens_with((*ADVICE_OPENINGS, *ORDER_OPENINGS))
        and not told.has((*ADVICE, *ORDERS))
    )


AUTONOMY = (
    "your choice", "up to you", "your decision", "you get to decide", "only you can",
    "expert on your own", "your call", "you decide", "you're in charge of", "it's your life",
    "you know yourself best", "whatever you decide", "free to decide", "you're free to",
)  # fmt: skip
COLLABORATION = (
    "what would you like to", "how would you like", "shall we", "let's work", "work together",
    "what ideas do you have", "where would you like to start", "where do you think we should",
    "would you like to talk about", "what do you want to focus on", "figure it out together",
)  # fmt: skip
AFFIRM = (
    "courage", "worked hard", "worked really hard", "commitment", "i appreciate", "you clearly",
    "doesn't give up", "don't give up", "strength", "well done", "already made", "proud of",
    "determined", "determination", "a creative idea", "that's a great idea", "resourceful",
    "took a lot", "you've done a great job", "impressive", "thank you for being so open",
    "handled that", "shown a lot of", "you've shown", "patience with",
)  # fmt: skip
# Advice words: a sentence that opens with one is persuasion whatever the learned layer says
# ("You should join a gym." is rare in the data set and reads like a reflection to it).
ADVICE = (
    "you should", "i think you should", "i think you need", "you need to", "if i were you",
    "you ought to", "you have to", "you'd better", "i recommend", "i'd recommend",
    "my advice", "i suggest", "i'd suggest", "the best thing you could do", "just stop",
    # How many say "should": "You have got to find another way." ("You must cut down." is
    # advice too: `_AS_MEANT`; "You must be exhausted." is the guess it is).
    "you have got to", "you've got to", "you gotta",
)  # fmt: skip
# Advice put in a reflection's words: advice wherever it stands, whatever the learned layer says
# ("It sounds like you should cut out caffeine." reads as a reflection to it).
ADVICE_AS_REFLECTION = (
    "sounds like you should", "sounds like you need to", "so you should", "you'd be better off",
    "you would be better off", "seems like you should", "the answer is to", "what you need is",
    "what you need to do is", "the thing to do is", "like you ought to",
    "the best thing would be to", "the best thing is to", "the best thing to do is",
)  # fmt: skip
# "It sounds like you might be better off without them though.", "you'd just be better off
# probably without them" (AnnoMI 44 and 53, low quality) are advice, but not the client's own
# "better off" given back ("Part of you thinks you might be better off without him."; two
# attacks, 2026-12-07).
BETTER_OFF = (
    "you might be better off", "you may be better off", "you could be better off",
    "you'd just be better off", "you would just be better off", "you'd probably be better off",
    "you'd really be better off",
)  # fmt: skip
_OWN_VIEW = ("part of you", "you're thinking", "you think", "you feel", "you wonder", "you said")
# ... but a need the client feels, reflected, is no advice ("It sounds like you need to feel that
# someone is on your side.").
FELT_NEEDS = (
    "need to feel", "need to be heard", "need to be understood", "need to know that",
    "need to hear", "need someone",
)  # fmt: skip
# Imperatives count only at the start of a sentence ("Try to ..."; "you try to" is not advice).
ADVICE_OPENINGS = (*ADVICE, "try to", "just try", "make sure you", "don't forget to")
# What follows a request for permission when it is advice ("Some people find a diary helps").
SUGGESTION = (
    "some people", "other people", "you could", "you might", "one option", "one idea",
    "a suggestion", "has helped", "have helped", "has worked", "have worked", "might help",
    "could help", "find it helps", "finds it helps",
)  # fmt: skip
# A suggestion put as a question is persuasion, not a question ("Have you tried nicotine
# patches?"), but only when the sentence opens with it ("What have you tried?" is a question).
SUGGESTION_OPENINGS = (
    "have you tried", "why don't you", "don't you think", "have you thought about",
    "have you considered", "what about trying", "how about trying", "wouldn't it be better",
)  # fmt: skip
# ... except an invitation to talk, which is an open question ("So why don't you start by telling
# me a little about yourself?" is coded so by AnnoMI's annotators).
INVITATIONS = (
    "why don't you start by telling me", "why don't you tell me", "why don't you say more",
    "why don't you talk me through", "why don't you describe for me",
    "why don't you share with me", "why don't you walk me", "why don't you fill me in",
)  # fmt: skip
SUMMARY = (
    "let me see if i've got", "let me see if i have", "sum up", "let me summarize",
    "let me summarise", "so far you've", "to recap", "let me make sure i've got",
)  # fmt: skip
# Subtype markers the learned heads are weak on (simple/complex: 0.58 out of fold).
COMPLEX = (
    "on the one hand", "on the other", "part of you", "it's like", "as if", "underneath",
    "matters most", "important to you", "means a lot", "wonder", "wondering", "and yet",
    "even though", "at the same time", "torn between", "afraid that", "worried that",
    "scared that", "on your shoulders", "running on empty", "what matters",
)  # fmt: skip
CLOSED_OPENINGS = (
    "how many", "how much", "how old", "how often", "how long", "on a scale", "who",
    "when did", "where do you", "which",
)  # fmt: skip
OPEN_OPENINGS = (
    "tell me", "could you walk me through", "could you say more", "could you tell me more",
    "can you tell me more", "could you describe", "describe", "walk me through", "say more",
    "help me understand",
)  # fmt: skip
INFORMATION = (
    "research", "studies", "usually", "most people", "on average", "percent", "confidential",
    "tends to", "is linked to", "increases the risk", "is open", "our sessions", "showed that",
    "the clinic", "the program",
)  # fmt: skip
REFLECTION_STEMS = (
    "it sounds like", "sounds like", "you feel", "you're feeling", "you're saying", "so you",
    "it seems like", "you're worried", "you're wondering",
)  # fmt: skip
DEEP_FEELINGS = (
    "hurt", "betrayed", "ashamed", "guilty", "lonely", "trapped", "helpless", "hopeless",
    "resentful", "abandoned", "humiliated", "heartbroken", "terrified",
)  # fmt: skip
FEELINGS = (
    "feel", "feeling", "felt", "sad", "angry", "mad", "upset", "scared", "afraid", "worried",
    "anxious", "frustrated", "hurt", "lonely", "ashamed", "guilty", "overwhelmed", "exhausted",
    "stressed", "hopeless", "helpless", "embarrassed", "relieved", "proud", "happy", "torn",
    "nervous", "disappointed", "betrayed", "trapped", "tired", "fed up", "annoyed",
)  # fmt: skip

# A teacher's own rubric: the same key if it has it, else these in order (then the kind's first).
STAND_INS: dict[str, tuple[str, ...]] = {
    "simple_reflection": ("paraphrase", "reflection"),
    "complex_reflection": ("reflection_of_feeling", "reflection"),
    "summary": ("complex_reflection", "reflection"),
    "giving_information": ("information",),
    "persuade": ("advice",),
    "persuade_with_permission": ("advice_with_permission", "other"),
    "seeking_collaboration": ("other",),
    "affirm": ("affirmation", "other"),
    "emphasizing_autonomy": ("other",),
    "confront": ("other",),
    "parrot": ("other",),
}
KINDS = {
    "open_question": "question",
    "closed_question": "question",
    "simple_reflection": "reflection",
    "complex_reflection": "reflection",
    "summary": "reflection",
    "giving_information": "input",
    "persuade": "input",
    "persuade_with_permission": "input",
}
MAX_CODES = 3


@dataclass(frozen=True)
class StudentTurn:
    """A student turn with what came before it: the context the coder reads."""

    text: str
    previous_client: str = ""
    previous_student: str = ""


# --- the learned behaviours as MITI-vocabulary labels, then the rules ---------------------------


def _learned(prediction: Prediction) -> list[str]:
    """The learned layer's labels, main behaviour first (MITI vocabulary plus `summary`)."""
    labels = [_label(prediction.behaviour, prediction)]
    for behaviour in ("reflection", "question", "therapist_input"):
        if behaviour in prediction.also:
            labels.append(_label(behaviour, prediction))
    return [label for label in labels if label != NOT_CODED] or [NOT_CODED]


def _label(behaviour: str, prediction: Prediction) -> str:
    if behaviour == "question":
        return f"{prediction.question_subtype}_question"
    if behaviour == "reflection":
        return f"{prediction.reflection_subtype}_reflection"
    if behaviour == "therapist_input":
        return {
            "information": "giving_information",
            "negotiation": "seeking_collaboration",
        }.get(prediction.input_subtype, "persuade")
    return NOT_CODED


# Telling the client what to do in a plan's words, without an advice word: "Here's the plan.",
# "So the plan is simple: stop drinking, see your doctor". Orders and next steps put otherwise
# ("Apply again.", "Tomorrow you'll call the council.") are left to the learned layer: read from
# their form alone they took skilled reflections for orders ("Quit or cut down, you're weighing
# both.", "You're going to ring your sister tonight" after "I've decided to phone her").
PLAN = ("here's the plan", "the plan is", "step one is", "step two is", "step three is")


def directs(turn: StudentTurn) -> bool:
    """Whether the turn tells the client what to do in a plan's words (see `PLAN`)."""
    return TurnText(turn.text).has(PLAN)


# Words that say little of what a sentence is about, beside `_FUNCTION_WORDS`.
_LITTLE_WORDS = _FUNCTION_WORDS | frozenset((
    "and", "or", "but", "by", "for", "with", "so", "just", "do", "does", "did", "have", "has",
    "had", "can", "will", "would", "should", "could", "need", "like", "sounds", "seems", "feel",
    "this", "these", "those", "there", "then", "when", "before", "after",
))  # fmt: skip
_IDIOMS = re.compile(r"\byou'?d better believe it\b")


def _content(words: str) -> list[str]:
    return [w for w in re.findall(r"[a-z']+", words.lower()) if w not in _LITTLE_WORDS]


def _gives_back(sentence: str, heard: set[str]) -> bool:
    """The sentence is mostly the client's own words ("So you have to be at work by eight" after
    "I have to be at work by eight"): their necessity reflected, not advice."""
    words = _content(sentence)
    return len(words) >= 2 and 3 * sum(w in heard for w in words) >= 2 * len(words)


def _asks_about_their_own(sentence: str, heard: set[str]) -> bool:
    """A suggestion's opening about what the client already named ("Have you tried the walking
    again?" after "I tried walking after dinner"): a question about their experience."""
    for opening in SUGGESTION_OPENINGS:
        if sentence.startswith(opening):
            named = _content(sentence[len(opening) :])
            return bool(named) and named[0] in heard
    return False


_EVOKING = re.compile(
    r"(?:have you (?:thought|thought much|given (?:any |much )?thought) about|have you considered)"
    r" (?:what|how|when|where|why|who|which)\b"
)
# ... but a suggestion or a warning inside it is still one ("... what would happen to your kids
# if you keep drinking?", "... whether AA might help?"; an attack on the fix, 2026-12-07).
_STEERING = re.compile(r"\b(?:should|might help|would help|could help|if you keep|if you don't)\b")


def _evokes(sentence: str) -> bool:
    """ "Have you thought about what it might take to get there?": it asks the client to think,
    an evocative question (AnnoMI's experts code it so), not a suggestion, which names what to
    do ("Have you thought about quitting?"; an attack, 2026-12-07)."""
    return bool(_EVOKING.match(sentence)) and not _STEERING.search(sentence)


def _telling(turn: StudentTurn) -> TurnText:
    """The turn without what only gives the client's words back or asks about them (what the
    advice rules read)."""
    heard = _words_of(turn.previous_client)
    t = TurnText(_IDIOMS.sub("", TurnText(turn.text).all))
    kept = [s for s in t.sentences if not _gives_back(s, heard)]
    kept = [s for s in kept if not _asks_about_their_own(LEAD_IN.sub("", s), heard)]
    kept = [s for s in kept if not _evokes(LEAD_IN.sub("", s))]
    return TurnText(" ".join(kept))


# How a turn is meant, where its words say it otherwise: advice said more insistently is advice
# ("You really should cut down.", "You clearly need to quit." are "You should ...", "You need to
# ..."), a guess at a feeling put with "have to" is the guess ("You have to be exhausted." is
# "You must be exhausted."), and "You should be proud of ..." affirms.
_FEELING = "(?:" + "|".join(re.escape(feeling) for feeling in FEELINGS) + ")(?![a-z'])"
_AS_MEANT = (
    # Chat typing: "u should cut down." is "you should ..." (an attack, 2026-12-07).
    (re.compile(r"(?<![a-z'])u(?![a-z'])"), "you"),
    (
        re.compile(
            r"(?<![a-z'])(you|you'd|i think you) (?:(?:really|just|seriously|definitely|clearly|"
            r"absolutely|honestly|totally|certainly|simply|truly|urgently|badly|desperately|"
            r"obviously),? )+(should|need to|have to|ought to|must|better)(?![a-z'])"
        ),
        r"\1 \2",
    ),
    (
        re.compile(
            rf"(?<![a-z'])you(?:'ve| have)? (?:have to|got to|gotta) be "
            rf"(?=(?:so |really )?{_FEELING})"
        ),
        "you must be ",
    ),
    (re.compile(r"(?<![a-z'])you should (?:feel |be )?(?:so |really )?proud"), "you can be proud"),
    # "You must" orders only an act: "You must cut down.", "You must talk to your doctor." are
    # "You should ..."; "You must be exhausted.", "You must really miss her.", "You must find it
    # hard." guess at what they feel or went through (two attacks, 2026-12-07).
    (
        re.compile(
            r"(?<![a-z'])you must (?:(?:really|just|absolutely|seriously|definitely|now),? )*"
            r"(?=(?:cut|stop|quit|go|call|tell|try|talk|see|start|take|leave|change|give|put"
            r"|get help|get rid|get some help|make sure|make a|come back|do something|listen"
            r"|seek|join|ask|speak|attend|follow|avoid|face|deal|work on|think about|consider"
            r"|drink less|eat|exercise|sleep|rest|apply|sign|book|find a|find another|find some"
            r"|throw|pour|stay away|keep away|limit|reduce|admit|accept|promise)(?![a-z']))"
        ),
        "you should ",
    ),
    # A start said twice ("You gotta- you gotta be ...") is said once.
    (
        re.compile(
            r"(?<![a-z'])(you (?:gotta|got to|must|have to|need to|should))-\s*(?=\1(?![a-z']))"
        ),
        "",
    ),
    # "You gotta be at your top pitch", "You've got to be so relieved": a state, not an order.
    (re.compile(r"(?<![a-z'])you(?:'ve| have)? (?:got to|gotta)(?=-? be(?![a-z']))"), "you'd"),
)


def as_meant(text: str) -> str:
    """`text` with `_AS_MEANT`'s rewrites ("you really need to" is "you need to")."""
    text = TurnText(text).all
    for pattern, meant in _AS_MEANT:
        text = pattern.sub(meant, text)
    return text


def _as_meant(turn: StudentTurn) -> StudentTurn:
    """The turn with `_AS_MEANT`'s rewrites: what the rules below read."""
    return StudentTurn(as_meant(turn.text), turn.previous_client, turn.previous_student)


def _apply_rules(labels: list[str], turn: StudentTurn) -> list[str]:
    """The documented rules on top of the learned labels (see the module docstring)."""
    turn = _as_meant(turn)
    t = TurnText(turn.text)
    main, rest = labels[0], labels[1:]
    if confronts(t, turn.previous_client):
        return ["confront"]
    if parrots(turn):
        return ["parrot"]
    told = _telling(turn)
    if told.opens_with(SUGGESTION_OPENINGS) and not t.opens_with(INVITATIONS):  # persuade alone
        main, rest = "persuade", [r for r in rest if KINDS.get(r) not in ("question", "input")]
    elif (
        (told.opens_with(ADVICE_OPENINGS) and not told.has(FELT_NEEDS))
        or directs(turn)
        or (told.has(ADVICE_AS_REFLECTION) and not told.has(FELT_NEEDS))
        or (
            told.has(BETTER_OFF)
            and not told.has(_OWN_VIEW)
            and not has_words(turn.previous_client, "better off")
        )
        or (told.has(ADVICE) and main in ("giving_information", NOT_CODED))
    ):
        alone = len(t.sentences) == 1  # then it is all the turn does
        main, rest = "persuade", [] if alone else [r for r in rest if KINDS.get(r) != "input"]
    elif KINDS.get(main) == "reflection" and _new_figures(t, turn.previous_client):
        main = "giving_information"  # a reflection gives back; a new figure informs
    if t.has(OFFERS) and (t.opens_with(ORDER_OPENINGS) or t.has(ORDERS)):
        # An order with an offer's words ("Stop drinking tonight. Would you be open to that?"),
        # which the learned layer reads as negotiating: seeking collaboration, a strength (an
        # attack on the day's fixes, 2026-12-07).
        main = "persuade"
        rest = [r for r in rest if r != "seeking_collaboration" and KINDS.get(r) != "question"]
    asks = asks_permission(t, told)
    permission = asks or TurnText(turn.previous_student).has(PERMISSION)
    if asks and t.has(SUGGESTION) and main != "persuade":
        # "May I share an idea? Some people find ... helps": the ask belongs to the advice.
        main, rest = "persuade", [r for r in rest if KINDS.get(r) not in ("question", "input")]
    if main == "persuade" and permission:
        main = "persuade_with_permission"
    if asks:  # the turn's own ask covers a second label's advice too (AnnoMI 3)
        rest = ["persuade_with_permission" if label == "persuade" else label for label in rest]
    adherent = _adherent(t, asks)
    if main.startswith("persuade"):
        adherent = None if adherent == "seeking_collaboration" else adherent
    if adherent and main in (NOT_CODED, "giving_information", "simple_reflection"):
        main = adherent
    elif adherent and adherent not in rest and adherent != main:
        rest.append(adherent)
    if _reflects_then_asks(t) and not any(KINDS.get(r) == "reflection" for r in [main, *rest]):
        rest.insert(0, "simple_reflection")  # MITI codes both utterances of the turn
    labels = [_subtype(label, t) for label in [main, *rest]]
    return list(dict.fromkeys(labels))[:MAX_CODES]


def _subtype(label: str, t: TurnText) -> str:
    """Open/closed and simple/complex by their markers, where the learned heads are weak; a
    "reflection" that reads as information without a reflection stem is information."""
    if KINDS.get(label) == "question":
        asked = _after_open_openings(t)
        if any(not _asks_yes_or_no(rest) for rest in asked):
            return "open_question"
        # "Tell me, do you drink alone? What's that like for you?" asks openly in the end.
        another_open = any(_OPENS_WH.match(LEAD_IN.sub("", s)) for s in t.sentences)
        if (asked and not another_open) or t.opens_with(CLOSED_OPENINGS):
            return "closed_question"
    if KINDS.get(label) == "reflection":
        if t.has(SUMMARY):
            return "summary"
        if t.has(INFORMATION) and not t.opens_with(REFLECTION_STEMS):
            return "giving_information"
        if t.has(COMPLEX) or t.has(DEEP_FEELINGS):
            return "complex_reflection"
    return label


# A yes/no question behind an open opening ("Tell me, do you drink every day?", "Tell me if you
# ever drink alone."): closed, whatever the lead-in (an attack, 2026-12-07).
_YES_NO = re.compile(
    r"^[,:;-]?\s*(?:do|does|did|is|are|was|were|have|has|had|will|would|can|could|should|shall"
    r"|may|might|must|am|if|whether)(?![a-z'])"
    r"(?! you (?:walk|say|describe|tell|talk|share|help|explain|give)(?![a-z']))"
)
_OPENS_WH = re.compile(r"^(?:what|how|why|where|which)(?:'s)?(?![a-z'])")


_WH_WORD = re.compile(r"(?<![a-z'])(?:what|how|where|why|when|which|who)(?![a-z'])")


def _asks_yes_or_no(rest: str) -> bool:
    """What follows "Tell me" asks yes or no: "Tell me, do you ...?", "Tell me if you ...", but
    not "Tell me, if you could change one thing, what would it be?"."""
    found = _YES_NO.match(rest)
    if found is None:
        return False
    conditional = found.group().strip(" ,:;-") in ("if", "whether")
    return not (conditional and _WH_WORD.search(rest[found.end() :]))


def _after_open_openings(t: TurnText) -> list[str]:
    """What follows an open opening (`OPEN_OPENINGS`) in each sentence that starts with one."""
    rests = []
    for sentence in t.sentences:
        plain = LEAD_IN.sub("", sentence)
        for phrase in OPEN_OPENINGS:
            opening = re.match(rf"{re.escape(phrase)}(?![a-z'])", plain)
            if opening:
                rests.append(plain[opening.end() :])
                break
    return rests


def _reflects_then_asks(t: TurnText) -> bool:
    """A statement with a reflection stem, then a question ("It sounds like you're worried.
    What would help?"): the learned layer often names only the question."""
    statements = [s for s in t.sentences if not s.endswith("?")]
    asks = any(s.endswith("?") for s in t.sentences[1:])
    return asks and any(TurnText(s).opens_with(REFLECTION_STEMS) for s in statements)


# First person in the client's words is second person in the student's (one table, also used by
# the offline review's better replies).
SECOND_PERSON = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
    "i'm": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll", "am": "are",
    "we": "you", "our": "your", "us": "you", "we're": "you're", "was": "were",
    "ours": "yours", "ourselves": "yourselves", "we've": "you've", "we'd": "you'd",
    "we'll": "you'll",
}  # fmt: skip
# A parrot's words are the client's, in the client's order, but for a stem and the pronouns
# turned round either way ("Are you going to repeat what I say?" -> "Am I going to repeat what
# you say."), and they are most of what the client said. Both sides are read with the first and
# second person as one (each word of `SECOND_PERSON` read as its second-person form).
_EITHER_PERSON = {word: you for me, you in SECOND_PERSON.items() for word in (me, you)}
_PARROT_MIN_WORDS = 2
_PARROT_COVERS = 0.6
_STEM = re.compile(r"^(?:(?:it )?sounds like|so|you're saying|you said|it seems like)\s+")


def _words(text: str) -> list[str]:
    """The words, with the first and second person as one (`_EITHER_PERSON`)."""
    words = re.findall(r"[\w']+", text.lower().replace("\u2019", "'"))
    return [_EITHER_PERSON.get(word, word) for word in words]


def parrots(turn: StudentTurn) -> bool:
    """The turn gives the client's last words back as they were ("Mostly in the evenings." after
    "Yeah, mostly in the evenings."): no reflection, however the learned layer reads it; it
    adds nothing of the feeling or meaning a reflection is for. Picking a part out of a long
    turn, or setting two of its sides together, is a reflection."""
    if turn.text.rstrip().endswith("?"):
        return False
    said = _words(turn.previous_client)
    words = _words(_STEM.sub("", turn.text.strip().lower()))
    if len(words) < _PARROT_MIN_WORDS or len(words) < _PARROT_COVERS * len(said):
        return False
    return any(said[i : i + len(words)] == words for i in range(len(said) - len(words) + 1))


def _new_figures(t: TurnText, previous_client: str) -> bool:
    """Numbers in the turn that the client did not say ("Your blood sugar was 240.")."""
    said = set(re.findall(r"\d+", previous_client))
    return any(number not in said for number in re.findall(r"\d+", t.all))


_STRENGTH_OF_A_THING = re.compile(r"\bthe strength of (?:the|a|an|that|this|these|those)\b")


def _strength_of_something(t: TurnText) -> bool:
    """ "the strength of the medication is getting higher": "strength" the only affirming word,
    and not the client's (AnnoMI 27, a lecture; an attack, 2026-12-07). Narrowing "strength" to
    "your strength" instead cost the out-of-fold AUC 0.928 -> 0.920."""
    found = [phrase for phrase in AFFIRM if t.has((phrase,))]
    return found == ["strength"] and bool(_STRENGTH_OF_A_THING.search(t.all))


def _adherent(t: TurnText, asks: bool) -> str | None:
    """MITI's MI-adherent behaviours the data set does not teach, by their phrases."""
    if t.has(AUTONOMY):
        return "emphasizing_autonomy"
    if t.has(AFFIRM) and not _strength_of_something(t):
        return "affirm"
    if t.has(COLLABORATION) or (asks and not t.has(ADVICE)):
        return "seeking_collaboration"
    return None


# --- onto the rubric ----------------------------------------------------------------------------


def _to_rubric(label: str, text: TurnText, rubric: RubricDefinition) -> str:
    if label == NOT_CODED:
        return NOT_CODED
    if rubric.key == "micro_skills":  # the table's micro-skills column
        label = _micro_label(label, text)
    keys = rubric.code_keys
    for candidate in (label, *STAND_INS.get(label, ())):
        if candidate in keys:
            return candidate
    kind = KINDS.get(label)
    same_kind = [code.key for code in rubric.codes if kind and code.kind == kind]
    if same_kind:
        return same_kind[0]
    return "other" if "other" in keys else NOT_CODED


def _micro_label(label: str, text: TurnText) -> str:
    if label in ("simple_reflection", "complex_reflection"):
        return "reflection_of_feeling" if text.has(FEELINGS) else "paraphrase"
    return {
        "giving_information": "information",
        "persuade": "advice",
        "persuade_with_permission": "other",
        "confront": "advice",  # its only non-adherent code: arguing is telling, unasked
    }.get(label, label)


def code_turns(
    turns: Sequence[StudentTurn], rubric: RubricDefinition, *, coder: LearnedCoder | None = None
) -> list[list[str]]:
    """Each turn's rubric codes (one to three; `[NOT_CODED]` for a greeting or backchannel)."""
    coder = coder or default_coder()
    predictions = coder.predict_many([(turn.text, turn.previous_client) for turn in turns])
    coded = []
    for turn, prediction in zip(turns, predictions, strict=True):
        labels = _apply_rules(_learned(prediction), turn)
        text = TurnText(turn.text)
        codes = list(dict.fromkeys(_to_rubric(label, text, rubric) for label in labels))
        codes = [code for code in codes if code != NOT_CODED] or [NOT_CODED]
        coded.append(codes)
    return coded
