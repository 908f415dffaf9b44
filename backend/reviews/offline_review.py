"""The review written without a model: the offline coder's codes, the counted score, the risk
check, strengths that are MI-consistent, and better replies that fit the turn they replace.

Used as the automatic demo review (no API key), and beside every model review as the counts the
model's codes are compared with. Rules a student can check:
- a strength is a reflection, an open question or an MI-adherent turn (affirm, emphasize
  autonomy, seek collaboration), never a turn with an MI-non-adherent code, and never a speech
  (over `LONGEST_STRENGTH` words); with none, none;
- "try instead" items come from the other turns, weakest first (a risk passed over, then
  persuading or confronting, then information and advice, closed questions, uncoded turns),
  so one turn is never both;
- each better reply has a template for the code it replaces and uses the client's own words;
- a session the coder cannot read (not in English: `language`) is left uncoded, and its review
  says so instead of rating, praising or correcting words it could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backend.reviews import indicators as counted
from backend.reviews import language, risk
from backend.reviews.coding import (
    ADVICE,
    ADVICE_AS_REFLECTION,
    ADVICE_OPENINGS,
    AFFIRM,
    AUTONOMY,
    REFLECTION_STEMS,
    SECOND_PERSON,
    SUGGESTION_OPENINGS,
    StudentTurn,
    as_meant,
    code_turns,
    confronts,
    parrots,
)
from backend.reviews.learned_coder import LearnedCoder, default_coder
from backend.reviews.phrases import TurnText
from backend.reviews.read_models import (
    CodedTurn,
    CriterionScore,
    ReviewContent,
    RiskCheck,
    Strength,
    TryInstead,
)
from backend.reviews.rubric_schema import NOT_CODED, SCORE_MAX, SCORE_MIN, RubricDefinition
from backend.reviews.rubrics import criterion_key
from backend.reviews.turns import Turn

MAX_ITEMS = 3
# A turn longer than this is a speech, not an example to repeat, whatever sentence in it reflects
# (the rubrics' Pacing 1 is "long speeches"): 3 of AnnoMI's 818 expert-coded reflections are
# longer, and a lecture opened with "It sounds like you're worried" was praised as a strength.
LONGEST_STRENGTH = 100
#: The review of a session the offline coder cannot read, in place of its goal.
NOT_ENGLISH = (
    "This automatic review reads English only, and this session is not in English, so it gives "
    "no ratings, strengths or better replies. Ask your teacher to go through it with you."
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
# What opens a client's sentence without being part of what they said. "No", "so" and "like"
# only as interjections, with their comma: "No one listens to me" keeps its "No".
_FILLERS = re.compile(
    r"^(?:(?:(?:well|yeah|yes|um+|uh+|oh|okay|ok|i mean|like i said|as i said|but|and)\b"
    r"[,.]?|(?:no|so|like)[,.]|(?:so|like)(?=\s+i\b))\s+)+",
    re.IGNORECASE,
)


# How a client turns down what the student just gave back as theirs: a sentence of their answer
# that opens so, after a lead-in of a word or two ("Hold on,", "Yeah, no,"). Never a bare "No."
# ("You're not ready yet." - "No." agrees), "I don't know" or "that's not what I want", nor a
# report of someone's words ("Every night he tells me you're not listening", "He said, ...").
# None of these follows a counselor's turn in AnnoMI's 88 sessions; simulated clients correct a
# misquote so.
_TURNS_DOWN = re.compile(
    r"(?:that'?s |that is )?not what i (?:said|meant|'m saying|am saying)\b"
    r"|you'?re not listening|you are not listening|you aren'?t listening|you'?re not hearing me"
    r"|(?:you'?re |stop )?putting words in my mouth"
)
# "I never said that": a correction, unless the sentence owns up to it ("I never said so, but
# you're right", "I never said I was sorry before she died", "I never said that to my mother").
_NEVER_SAID = re.compile(r"i (?:never|didn'?t|did not) (?:say|said)\b")
_OWNED_UP = re.compile(
    r"\b(?:but|before|after|aloud|anymore|now|late|true|right|once)\b|\bout loud\b"
    r"|\bto (?:my|his|her|their|him|them|anyone|anybody|someone|everyone)\b"
)
# ... or regrets not having said it, there or in the next sentence ("I didn't say I was sorry, and
# I should have.", "I never said I loved him. I wish I had."; not "You should have listened.").
_REGRET = re.compile(r"\bi (?:should(?:'ve| have)|ought to have|wish i(?:'d| had)?|regret)\b")
# The next sentence is the regret alone ("I wish I had.", "I should have, though."), not a wish
# about anything else ("I wish you'd listen.").
_REGRET_ALONE = re.compile(
    r"^(?:(?:and|but|so|yeah|honestly)[,]?\s+)*i (?:should(?:'ve| have)|ought to have|"
    r"wish i(?:'d| had)|regret (?:it|that))(?: (?:said it|told (?:him|her|them)|done it))?"
    r"(?:,? (?:though|now|too))?[.!]*$"
)
_AT_ONCE = re.compile(r"^(?:what\?\s*no\b|no,?\s+i said\b)")
_LEAD_IN = re.compile(r"(?P<head>[^,\u2014\u2013]*?)\s*(?:,|\u2014|\u2013|\s-\s)\s*(?P<rest>.*)")
_REPORTING = re.compile(r"\b(?:says?|said|tells?|told|asks?|asked|goes)\b")


def _opening(sentence: str) -> str:
    """The sentence past its lead-ins: up to three pieces of one or two words, each ended by a
    comma or a dash ("hold on, ", "yeah, no, "), none of them reporting speech ("he said, ")."""
    for _lead_in in range(3):
        piece = _LEAD_IN.match(sentence)
        if piece is None or len(piece["head"].split()) > 2 or _REPORTING.search(piece["head"]):
            break
        sentence = piece["rest"]
    return sentence


def _turns_down(answer: str) -> bool:
    """Whether the client's answer turns down the student's last turn as not what they said."""
    text = TurnText(answer)
    if _AT_ONCE.match(text.all):
        return True
    for at, sentence in enumerate(text.sentences):
        opening = _opening(sentence)
        if _TURNS_DOWN.match(opening):
            return True
        following = text.sentences[at + 1 : at + 2]
        regretted = bool(_REGRET.search(sentence)) or any(_REGRET_ALONE.match(s) for s in following)
        if _NEVER_SAID.match(opening) and not _OWNED_UP.search(opening) and not regretted:
            return True
    return False


# How a client objects to how the student just spoke to them: the turn did not land as support,
# whatever its code ("That's not fair.", "Are you making fun of me?", "Can I leave now?").
_PUSHES_BACK = re.compile(
    r"(?:that'?s not fair|that'?s (?:harsh|rude|mean|uncalled for)|forget it)[.!?]*$"
    r"|are you (?:making fun of|mocking|judging|laughing at) me|why are you (?:like this|being)"
    r"|you'?re judging me|don'?t judge me"
    r"|can i (?:go|leave)(?: now)?\?*$|i'?m (?:leaving|going|out of here)(?: now)?[.!]*$"
    r"|i think i'?m done(?: here)?[.!]*$"
    r"|now you sound like (?:her|him|them|my|your|everyone|everybody|the)\b"
)
# A shrug that is the whole answer ("Whatever.", not "Whatever. He can do what he likes now.").
_SHRUGS = re.compile(r"^(?:yeah,? |yes,? |ok,? |okay,? )?whatever[.!]*$")


def pushed_back_by_client(turns: list[Turn]) -> set[int]:
    """The student's turns the client's next turn objects to (never a strength, whatever the
    coder read them as)."""
    return {
        turn.number
        for turn, after in zip(turns, turns[1:], strict=False)
        if turn.student
        and not after.student
        and (
            _SHRUGS.match(TurnText(after.text).all)
            or any(_PUSHES_BACK.match(_opening(s)) for s in TurnText(after.text).sentences)
        )
    }


def rejected_by_client(turns: list[Turn]) -> set[int]:
    """The student's statements (not questions: asking is how to check) that the client's next
    turn turns down as not what they said ("I never said that", "What? No.")."""
    return {
        turn.number
        for turn, after in zip(turns, turns[1:], strict=False)
        if turn.student
        and not after.student
        and not turn.text.rstrip().endswith("?")
        and _turns_down(after.text)
    }


@dataclass(frozen=True)
class CodedSession:
    """Each student turn's codes (by turn number), the counts over all of them, the turns that
    hand the client's words back as they were (`coding.parrots`), and whether the coder could
    read the session at all (`language`)."""

    codes: dict[int, list[str]]
    counts: dict[str, float | None]
    parroted: frozenset[int] = frozenset()
    readable: bool = True


def code_session(
    turns: list[Turn], rubric: RubricDefinition, *, coder: LearnedCoder | None = None
) -> CodedSession:
    """Every student turn coded with its context (the client's and its own previous turn); in
    a session the coder cannot read, every student turn is left uncoded."""
    if not language.reads_as_english([turn.text for turn in turns if turn.student]):
        codes = {turn.number: [NOT_CODED] for turn in turns if turn.student}
        counts = counted.count_indicators([NOT_CODED] * len(codes), rubric)
        return CodedSession(codes=codes, counts=counts, readable=False)
    context = []
    previous_client = previous_student = ""
    for turn in turns:
        if turn.student:
            context.append((turn.number, StudentTurn(turn.text, previous_client, previous_student)))
            previous_student = turn.text
        else:
            previous_client = turn.text
    coded = code_turns([item for _number, item in context], rubric, coder=coder)
    codes = {number: turn_codes for (number, _item), turn_codes in zip(context, coded, strict=True)}
    all_codes = [code for turn_codes in codes.values() for code in turn_codes]
    return CodedSession(
        codes=codes,
        counts=counted.count_indicators(all_codes, rubric),
        parroted=frozenset(number for number, item in context if parrots(item)),
    )


def offline_review(turns: list[Turn], rubric: RubricDefinition) -> ReviewContent:
    """The automatic demo review of a conversation with at least one student turn."""
    session = code_session(turns, rubric)
    student = [turn for turn in turns if turn.student]
    flagged = risk.check(turns)
    if not session.readable:
        return ReviewContent(
            codes=[CodedTurn(turn=turn.number, code=NOT_CODED) for turn in student],
            risk=flagged,
            scores=[],
            strengths=[],
            try_instead=[],
            goal=NOT_ENGLISH,
            demo=True,
            not_english=True,
        )
    missed = {item.student_turn for item in risk.passed_over(flagged)}
    rejected = rejected_by_client(turns)
    objected = pushed_back_by_client(turns)
    strengths = _strengths(student, session.codes, rubric, exclude=missed | rejected | objected)
    chosen = {turn.number for turn in strengths}
    arguing = _arguing(session, turns)
    weaker = sorted(
        (turn for turn in student if turn.number not in chosen),
        key=lambda turn: (
            _weakness(turn, session.codes[turn.number], rubric, missed, rejected | arguing),
            turn.number,
        ),
    )
    client_before = _client_before(turns)
    return ReviewContent(
        codes=[
            CodedTurn(turn=number, code=code)
            for number, turn_codes in session.codes.items()
            for code in turn_codes
        ],
        risk=flagged,
        scores=_scores(session, turns, rubric, flagged),
        strengths=[_strength(turn, session.codes[turn.number], rubric) for turn in strengths],
        try_instead=[
            _try_instead(
                turn,
                session.codes[turn.number],
                client_before.get(turn.number, ""),
                rubric,
                risk_missed=turn.number in missed,
                misheard=turn.number in rejected,
            )
            for turn in weaker[:MAX_ITEMS]
        ],
        goal=_goal(session.counts, flagged, arguing=len(arguing)),
        demo=True,
    )


# Scores -----------------------------------------------------------------------------------------
def _scores(
    session: CodedSession, turns: list[Turn], rubric: RubricDefinition, flagged: list[RiskCheck]
) -> list[CriterionScore]:
    """One 1-5 rating per criterion from the counted score, at most what a count that speaks to
    the criterion directly shows (`_count_caps`); none for a short session."""
    value = session.counts.get("counted_score")
    if value is None or not counted.enough_evidence(sum(1 for turn in turns if turn.student)):
        return []
    counted_as = min(SCORE_MAX, max(SCORE_MIN, 1 + round(value / 25)))
    risk_cap = (2, RISK_CAP) if risk.passed_over(flagged) else None
    caps = _count_caps(session, turns)
    reflections = [
        number
        for number, codes in session.codes.items()
        if any((code_ := rubric.code(code)) and code_.kind == "reflection" for code in codes)
    ]
    scores = []
    for criterion in rubric.criteria:
        # The cap written for the built-in criterion of this name, whatever its key here.
        cap = caps.get(criterion_key(criterion.name))
        held = [cap for cap in (risk_cap, cap) if cap and cap[0] < counted_as]
        score = min([counted_as, *(cap for cap, _why in held)])
        reasoning = (
            f"Counted, not judged: your counted score is {value:.0f}/100 "
            f"({counted.SCORE_FORMULA}), which is {counted_as} on the 1-5 scale"
            + "".join(f"; at most {cap} here: {why}" for cap, why in held)
            + "."
        )
        scores.append(
            CriterionScore(
                criterion=criterion.key, turns=reflections[:5], reasoning=reasoning, score=score
            )
        )
    return scores


# The most "Pacing" is rated above each talk share (the student's words of all words): the
# rubrics' Pacing 1 is "long speeches". Only a session of speeches is held down: AnnoMI's expert
# counselors, explaining as MI demonstrations do, said 22-81% of the words; five lectures, 97%.
# Short turns to a client who says a word each time are no speeches, whatever their share.
_PACING_BY_TALK_SHARE = ((0.9, 1), (0.85, 2))
SPEECH_WORDS = 30  # the student's turns are this long on average, or longer


# The most "Paraphrase and summary" is rated from each share of parroted turns on: the rubric's 1
# is "just parrots the client's words".
_PARAPHRASE_BY_PARROTING = ((0.5, 1), (0.3, 2))

# Empathy and "Paraphrase and summary" are rated at most 3 once the client has turned down two of
# the student's turns as not what they said ("some accurate understanding, unevenly shown"), and
# at most 2 once that is 30% of them (the rubrics' 2: "often inaccurate").
_TURNED_DOWN_AT_LEAST = 2
_OFTEN_TURNED_DOWN = 0.3


def _count_caps(session: CodedSession, turns: list[Turn]) -> dict[str, tuple[int, str]]:
    """The built-in criteria a count speaks to directly, each with the most it can be rated
    and why: the share of open questions for "Open questions", the student's share of the
    talk for "Pacing", the share of parroted turns for "Paraphrase and summary" (a session of
    closed questions was 3/5 on open questions, five lectures 4/5 on pacing, and parroting 3/5
    on paraphrase, because the counted score weighs none of these)."""
    caps = {}
    opens = session.counts.get("percent_open_questions")
    if opens is not None:
        caps["open_questions"] = (
            1 + round(4 * opens),
            f"{opens:.0%} of your questions were open",
        )
    elif not session.counts.get("questions"):  # the rubric's 1: "... or none at all"
        caps["open_questions"] = (1, "you asked no question")
    student_turns = sum(1 for turn in turns if turn.student)
    said = sum(len(turn.text.split()) for turn in turns if turn.student)
    everything = sum(len(turn.text.split()) for turn in turns)
    if everything and student_turns and said / student_turns >= SPEECH_WORDS:
        share = said / everything
        pacing = next(((cap, above) for above, cap in _PACING_BY_TALK_SHARE if share > above), None)
        if pacing is not None:
            caps["pacing"] = (
                pacing[0],
                f"you said more than {pacing[1]:.0%} of the words, in turns of "
                f"{said / student_turns:.0f} words on average",
            )
    parroting = len(session.parroted) / student_turns if student_turns else 0.0
    echo = next((cap for above, cap in _PARAPHRASE_BY_PARROTING if parroting >= above), None)
    if echo is not None:
        caps["paraphrase_and_summary"] = (
            echo,
            f"{len(session.parroted)} of your {student_turns} turns gave the client's words "
            "back as they were",
        )
    rejected = len(rejected_by_client(turns))
    if rejected >= _TURNED_DOWN_AT_LEAST:
        misheard = (
            2 if rejected / student_turns >= _OFTEN_TURNED_DOWN else 3,
            f"the client said {rejected} of your {student_turns} turns were not what they said",
        )
        for criterion in ("empathy", "paraphrase_and_summary"):
            caps[criterion] = min(caps.get(criterion, misheard), misheard)
    return caps


# Strengths and better replies -------------------------------------------------------------------
def _good_rank(codes: list[str], rubric: RubricDefinition) -> int | None:
    """How strong a turn is as an example (lower is better); None if it is no strength."""
    defined = [rubric.code(code) for code in codes]
    if any(code is not None and code.adherence == "non_adherent" for code in defined):
        return None
    if defined and defined[0] is not None and defined[0].kind == "input":
        # A turn that mainly informs: a warning ("-possibly affecting the tooth itself, chipping
        # the tooth") is no example of following the client's lead (AnnoMI 74, low quality); a
        # reflection with information beside it still is (AnnoMI 31; two attacks, 2026-12-07).
        return None
    ranks = []
    for code in defined:
        if code is None:
            continue
        if code.kind == "reflection":
            ranks.append(0 if code.complex else 1)
        elif code.adherence == "adherent":
            ranks.append(2)
        elif code.key == "open_question":
            ranks.append(3)
    return min(ranks) if ranks else None


def _strengths(
    student: list[Turn], codes: dict[int, list[str]], rubric: RubricDefinition, *, exclude: set
) -> list[Turn]:
    ranked = [
        (rank, turn.number, turn)
        for turn in student
        if turn.number not in exclude
        and len(turn.text.split()) <= LONGEST_STRENGTH
        # A turn that goes on with one broken off ("- maybe not very good friends." after
        # "you might be better off without them. They're-") is no example on its own (AnnoMI 44,
        # praised as a complex reflection: an attack, 2026-12-07).
        and not turn.text.lstrip().startswith(("-", "–", "—"))
        and not all(_says_nothing(sentence) for sentence in _sentences(turn.text))
        and (rank := _good_rank(codes[turn.number], rubric)) is not None
    ]
    return [turn for _rank, _number, turn in sorted(ranked)[:MAX_ITEMS]]


def _strength(turn: Turn, codes: list[str], rubric: RubricDefinition) -> Strength:
    names = " and ".join(rubric.code_name(code).lower() for code in codes)
    return Strength(
        turn=turn.number,
        quote=_quote(turn.text, codes, rubric),
        comment=f"Coded as {names}: it follows the client's lead and invites them to say more.",
    )


def _weakness(
    turn: Turn, codes: list[str], rubric: RubricDefinition, missed: set, first: set
) -> int:
    """How much a turn needs a better reply (lower first): a risk passed over, then a misquote
    the client turned down or an argument (so the review corrects the fault its goal and drill
    name), then other unasked advice, information, closed questions."""
    if turn.number in missed:
        return 0
    if turn.number in first:
        return 1
    defined = [rubric.code(code) for code in codes]
    if any(code is not None and code.adherence == "non_adherent" for code in defined):
        return 2
    if defined and defined[0] is not None and defined[0].kind == "input":
        return 3
    if "closed_question" in codes:
        return 4
    if NOT_CODED in codes:
        return 6
    return 5


def _try_instead(
    turn: Turn,
    codes: list[str],
    client: str,
    rubric: RubricDefinition,
    *,
    risk_missed: bool,
    misheard: bool,
) -> TryInstead:
    echo = _echo(client)
    argues = "confront" in codes or confronts(TurnText(turn.text), client)
    better, why = _template(
        codes, echo, risk_missed=risk_missed, misheard=misheard, confronts=argues
    )
    return TryInstead(
        turn=turn.number, quote=_quote(turn.text, codes, rubric), better_reply=better, why=why
    )


#: What the automatic review writes because a voiced risk was passed over (`rests_on_risk`).
RISK_CAP = "a risk the client voiced was passed over"
RISK_WHY = (
    "When a client speaks of harm, ask about it directly and stay with it before anything else."
)
RISK_GOAL = (
    "When a client mentions harming themself or someone else, stop, ask about it directly and "
    "take it seriously before anything else."
)


def rests_on_risk(texts: list[str]) -> bool:
    """Whether any of these texts is the automatic review's because of a passed-over risk."""
    return any(phrase in text for text in texts for phrase in (RISK_CAP, RISK_WHY, RISK_GOAL))


def _template(
    codes: list[str], echo: str, *, risk_missed: bool, misheard: bool, confronts: bool
) -> tuple[str, str]:
    """A better reply for the code it replaces, built on the client's words (`echo`); a
    confrontation is named as one in every rubric (micro-skills codes it as advice)."""
    said = f"You said {echo}. " if echo else ""
    if risk_missed:
        return (
            f"{said or 'That sounds serious. '}I want to ask you directly: are you having thoughts of hurting yourself "
            "or someone else?",
            RISK_WHY,
        )
    if misheard:
        return (
            f"You said {echo}. Have I got that right?"
            if echo
            else "I may not have heard you right. Can you tell me again what you meant?",
            "The client said this was not what they said: give back their own words, and "
            "check that you heard them right.",
        )
    if confronts:
        return (
            f"It sounds like {echo or 'this is hard to hear'}, and you're the one who decides "
            "what to do about it.",
            "Reflecting and stressing their choice keeps them talking; arguing makes them "
            "defend the status quo.",
        )
    if {"persuade", "advice"} & set(codes):
        return (
            f"{said}Would it be all right if I shared an idea that has helped others? You can "
            "tell me whether it fits you.",
            "Asking permission first turns unasked advice into advice the client can weigh.",
        )
    if {"giving_information", "information", "persuade_with_permission"} & set(codes):
        return (
            "What do you already know about this, and what would be most useful to hear?",
            "Asking what they know before informing (elicit, provide, elicit) keeps them in "
            "the conversation.",
        )
    if "closed_question" in codes:
        return (
            f"{said}What has that been like for you?",
            "An open question invites the client's own story instead of a yes or a no.",
        )
    if "open_question" in codes:
        return (
            f"It sounds like {echo}. What matters most to you about that?"
            if echo
            else "It sounds like this matters to you. What matters most about it?",
            "A reflection before the question shows you heard them, and the question goes deeper.",
        )
    return (
        f"It sounds like {echo}, and part of you wonders whether things could be different."
        if echo
        else "It sounds like this has been weighing on you.",
        "A reflection that adds the feeling or meaning under the client's words is a complex "
        "reflection.",
    )


def _arguing(session: CodedSession, turns: list[Turn]) -> set[int]:
    """The student turns that argue with the client (coded confront, or, in a rubric without
    that code, coded as unasked advice for holding a confrontation's words)."""
    heard = _client_before(turns)
    return {
        turn.number
        for turn in turns
        if turn.student
        and (
            "confront" in session.codes.get(turn.number, [])
            or confronts(TurnText(turn.text), heard.get(turn.number, ""))
        )
    }


def _goal(counts: dict[str, float | None], flagged: list[RiskCheck], *, arguing: int) -> str:
    if risk.passed_over(flagged):
        return RISK_GOAL
    advice = (counts.get("mi_non_adherent") or 0) > arguing
    if arguing and advice:
        return (
            "Next time, reflect the client's reasons not to change rather than arguing, and ask "
            "permission before giving advice."
        )
    if arguing:  # the first fault, as for Drill next (drills.results_service.weakest_skill)
        return (
            "Next time, when the client gives reasons not to change, reflect them back and leave "
            "the choice with the client, rather than arguing."
        )
    if counts.get("mi_non_adherent"):
        return "Next time, ask permission before giving advice, and give none unasked."
    ratio = counts.get("reflection_to_question")
    if ratio is None and counts.get("reflections"):  # reflections and no question at all
        return "Next time, ask an open question now and then, so the client leads the way."
    if ratio is None or ratio < 1:
        return "Next time, answer at least every other client message with a reflection."
    return "Next time, try a reflection that names the feeling under the client's words."


# Text helpers -----------------------------------------------------------------------------------
def _client_before(turns: list[Turn]) -> dict[int, str]:
    """For each student turn, the client turn just before it ("" at the start)."""
    before, last = {}, ""
    for turn in turns:
        if turn.student:
            before[turn.number] = last
        else:
            last = turn.text
    return before


# The client's words for the student, which `_echo` cannot turn round.
_ADDRESSED = frozenset(("you", "your", "yours", "yourself", "you're", "you've", "you'll", "you'd"))


#: What may stand between "I" and its "was" ("I really was", "I never was").
_ADVERBS = frozenset((
    "really", "never", "just", "always", "also", "still", "actually", "honestly", "only",
    "even", "probably", "truly", "so", "too", "already", "not", "ever",
))  # fmt: skip


_SAID_OF_I = {"was": "were", "wasn't": "weren't"}
_TRAILING = ",;:.!?…"


def _second_person(word: str, before: list[str]) -> str:
    """`word` in the student's voice: "I" is "you", but "was" is "were" only when said of "I",
    adverbs between ("I really was" is "you really were"; "my son was born", "all I wanted was"
    stay "was"; an attack, 2026-12-07, then two on that fix); "am" is "are" but after a number
    ("at 6 am" stays the hour). A word's trailing comma or stop stays on it ("am," too)."""
    core = word.rstrip(_TRAILING)
    tail, lower = word[len(core) :], core.lower()
    if lower in _SAID_OF_I:
        said_of = next((w.lower() for w in reversed(before) if w.lower() not in _ADVERBS), "")
        turned = _SAID_OF_I[lower] if said_of == "i" else core
    elif lower == "am" and before and re.search(r"\d", before[-1]):
        turned = core
    else:
        turned = SECOND_PERSON.get(lower, core)
    return turned + tail


# Words a phrase cannot end on ("the level of", "20 or 30 cigarettes a").
_DANGLING = frozenset((
    "a", "an", "the", "of", "to", "and", "or", "but", "like", "that", "with", "for", "in", "on",
    "at", "by", "from", "into", "about", "so", "as", "is", "are", "was", "were", "my", "your",
    "his", "her", "their", "our", "some", "any", "because", "um", "uh",
))  # fmt: skip
_FILLER_WORDS = frozenset(("um", "uh", "like", "well", "so", "yeah"))
# A stammered word ("I-I guess", "I'll-I'll-I'll go"): said once, it turns round as one.
_STAMMER = re.compile(
    r"\b(i|i'm|i'll|i've|i'd|it|it's|my|me|we|the|a|and|to|that|you|he|she|they)"
    r"(?:-{1,2}\1\b)+",
    re.IGNORECASE,
)  # a pronoun or little word said twice; "so-so", "yo-yo", "bye-bye" are words


def _echo(client: str, max_words: int = 14) -> str:
    """The client's last statement in the student's voice: "I can't sleep" -> "you can't
    sleep" (empty when the client said nothing usable)."""
    sentences = [s for s in _SENTENCE_END.split(client.strip()) if s and not s.endswith("?")]
    if not sentences:
        return ""
    sentence = _FILLERS.sub("", _without_false_starts(sentences[-1]).rstrip(".!"))
    said = _STAMMER.sub(r"\1", sentence).split()
    if any(re.sub(r"[^\w']", "", word.lower()) in _ADDRESSED for word in said):
        # The client spoke of the student ("You don't understand me"): turned round word by
        # word it misquotes them ("you don't understand you"; an attack, 2026-12-07).
        return ""
    words = [_second_person(word, said[:index]) for index, word in enumerate(said)]
    if len({re.sub(r"\W", "", word.lower()) for word in words}) < 4:
        return ""  # too little to give back ("I know, I know.")
    words[0] = words[0][:1].lower() + words[0][1:]  # it continues the student's sentence
    # Cut only where it must, at a clause's end, never mid-phrase ("cigarettes a."); a sentence
    # the client broke off ("a change and-") loses its dangling word; one said whole keeps its
    # last word, "to" too ("nobody left to talk to").
    cut = len(words) > max_words + _LEEWAY
    if cut:
        words = _cut_at_a_phrase(words, max_words)
    if cut or sentences[-1].rstrip(" .!").endswith(("-", "–", "—")):
        while words and words[-1].lower().strip(",;:-–—") in _DANGLING:
            words.pop()
    while words and words[-1].lower().strip(",;:") in _JOINING:  # "... for something or."
        words.pop()
    return " ".join(words).rstrip(",;:-–—")


#: Where a client broke off mid-sentence and started again.
_BROKEN_OFF = re.compile(r"\s*(?:--|—|–)\s*|(?<=\w)-\s+")


def _without_false_starts(sentence: str) -> str:
    """The sentence from where the client started it for good: a start of three words or fewer
    broken off ("I just-- I mean, I know it's bad", "I-- but I just want") goes, and so does the
    dash a turn that continues an interrupted one opens with ("-those are"). Given back, they
    had read "You said you just-- you mean, ..." (AnnoMI; an attack, 2026-12-07)."""
    sentence = sentence.strip().lstrip("-–— ")
    while (found := _BROKEN_OFF.search(sentence)) and len(sentence[: found.start()].split()) <= 3:
        rest = sentence[found.end() :].strip()
        if len(rest.split()) < 4:
            break
        sentence = rest
    return sentence


#: Words a sentence never ends on, said whole or not.
_JOINING = frozenset(("and", "or", "but", "because"))
#: How far past `max_words` a sentence is given back whole.
_LEEWAY = 6
#: Words that start a phrase of their own: a cut before one never leaves a phrase half said
#: ("every bit of the high" for "the high school experience": an attack, 2026-12-07).
_PHRASE_STARTS = frozenset((
    "that", "which", "who", "because", "when", "where", "and", "but", "so", "if", "since",
    "while", "although", "though",
))  # fmt: skip


def _cut_at_a_phrase(words: list[str], max_words: int) -> list[str]:
    """At most `max_words` (a little more to end a phrase), cut where a clause or phrase ends:
    after a comma, or before a word that starts one, keeping 7 words or more."""
    ends = [
        i
        for i, word in enumerate(words[: max_words + _LEEWAY])
        if i >= 7
        and (
            (word.endswith((",", ";", ":")) and word.lower().strip(",;:") not in _FILLER_WORDS)
            or (i + 1 < len(words) and words[i + 1].lower() in _PHRASE_STARTS)
        )
    ]
    return words[: ends[-1] + 1] if ends else words[:max_words]


# A sentence that says nothing a code could be about: a backchannel, a thank-you, a greeting.
_EMPTY_WORDS = frozenset((
    "okay", "ok", "right", "yeah", "yes", "yep", "mm", "mhm", "mm-hmm", "hmm", "uh-huh", "uh",
    "um", "oh", "sure", "alright", "all", "i", "see", "hear", "you", "thanks", "thank", "for",
    "sharing", "that", "got", "it", "makes", "sense", "good", "great", "wow", "well", "so",
    "hello", "hi", "hey", "no", "gotcha", "cool", "nice", "absolutely", "exactly", "definitely",
    "fair", "enough", "true", "of", "course",
))  # fmt: skip
_GREETINGS = ("hello", "hi", "hey", "good morning", "good afternoon", "welcome")
_ABBREVIATION = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|[ap]\.m|e\.g|i\.e|etc|vs|U\.S)\.$", re.I
)


def _sentences(text: str) -> list[str]:
    """The turn's sentences, each verbatim ("Mrs." ends no sentence)."""
    pieces, start = [], 0
    text = text.strip()
    for end in _SENTENCE_END.finditer(text):
        if not _ABBREVIATION.search(text[start : end.start()]):
            pieces.append(text[start : end.start()])
            start = end.end()
    return [*pieces, text[start:]]


# A sound rather than a word ("Oof.", "Mmm.", "Aww.", "Ugh."): interjections are a closed class.
_SOUND = re.compile(
    r"(?:m+|h+m+|a+h+|a+w+|o+h+|o+o+f+|u+g+h+|u+h+|e+h+|hu+h+|o+w+|ouch|whoa|yikes|gosh|"
    r"g?eez|jeez|phew|aha|oops|blimey|crikey)"
)


def _says_nothing(sentence: str) -> bool:
    words = re.findall(r"[\w'-]+", sentence.lower())
    return (
        not words
        or all(word in _EMPTY_WORDS or _SOUND.fullmatch(word) for word in words)
        or (len(words) <= 3 and sentence.lower().startswith(_GREETINGS))
    )


def _quote(text: str, codes: list[str], rubric: RubricDefinition) -> str:
    """The words of the turn that earned its code, verbatim: the first sentence that says
    something (not "Okay." or "I hear you."), preferring a question for a question code, the
    advice for an advice code and a statement for a reflection."""
    every = _sentences(text)
    sentences = [sentence for sentence in every if not _says_nothing(sentence)] or every
    kinds = {code.kind for key in codes if (code := rubric.code(key))}
    advice = {"persuade", "advice", "confront"} & set(codes)
    preferred = [
        sentence
        for sentence in sentences
        if (advice and _gives_advice(TurnText(as_meant(sentence))))
        or (not advice and "question" in kinds and sentence.rstrip().endswith("?"))
        or (not advice and kinds == {"reflection"} and not sentence.rstrip().endswith("?"))
    ]
    if advice and not preferred:  # telling in other words, never a reflection of it
        preferred = [
            sentence
            for sentence in sentences
            if TurnText(sentence).has(TELLING) and not TurnText(sentence).opens_with(STEMS)
        ]
    if advice and not preferred:  # the likeliest advice, never a reflection of it
        told = [s for s in sentences if not TurnText(s).opens_with(STEMS)] or sentences
        preferred = [_likeliest_advice(told)]
    return _whole_words((preferred or sentences)[0])


def _likeliest_advice(sentences: list[str]) -> str:
    """The sentence the learned coder reads most surely as advice or information, kind words
    counting half. Rules alone had quoted the first sentence that said something: a reflection,
    an affirmation or kind words before the advice (AnnoMI; an attack, 2026-12-07). Only for a
    "try instead": a strength chosen so had quoted the order after an affirmation (an attack on
    the day's fixes)."""
    predictions = default_coder().predict_many([(sentence, "") for sentence in sentences])
    sure = [
        p.probabilities["therapist_input"] / (2 if TurnText(s).has(KIND_WORDS) else 1)
        for s, p in zip(sentences, predictions, strict=True)
    ]
    return sentences[sure.index(max(sure))]


# Telling in other words than advice's ("the next step is to deal with the dog", "You do not
# need a piercing.", "these will be the consequences"), and the kind words a turn of advice may
# open with ("-which is fantastic.", "You know, that is your choice.", "I don't want to argue
# with you about this."), which a "try instead" must not quote as the fault (AnnoMI 27, 30, 74
# and 92; an attack, 2026-12-07).
STEMS = (*REFLECTION_STEMS, "you're not sure", "you seem")
TELLING = (
    "the next step is", "you do not need", "you don't need a", "needs to stop",
    "will be the consequences", "you need to watch",
)  # fmt: skip
KIND_WORDS = (
    *AFFIRM, *AUTONOMY, "fantastic", "gorgeous", "lovely", "wonderful", "great job",
    "don't want to argue", "not here to argue", "not going to argue", "i'm sure that you",
)  # fmt: skip


def _gives_advice(sentence: TurnText) -> bool:
    """The sentence holds the advice or the confrontation a "try instead" corrects."""
    return (
        sentence.has((*ADVICE, *ADVICE_AS_REFLECTION))
        or confronts(sentence)
        or sentence.opens_with((*ADVICE_OPENINGS, *SUGGESTION_OPENINGS))
    )


def _whole_words(sentence: str) -> str:
    """A verbatim piece short enough to quote, in whole words (a quote must be)."""
    piece = sentence[:300]
    if len(sentence) > 300 and not sentence[300].isspace() and " " in piece:
        piece = piece.rsplit(None, 1)[0]
    return piece.strip()
