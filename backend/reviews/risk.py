"""Risk in a session: a client who voices self-harm or harm to others, and whether the student
noticed.

Teachers write such clients on purpose. The check runs in every review, with or without a model:
a client turn with a risk phrase is flagged, and the student's next turn counts as a response
only if it asks about the risk directly or names it seriously (a word of `RESPONSE`). A reply that
moves on to something else is "passed over". The phrase lists are deliberately wide: a false
alarm costs the teacher a glance, a miss could cost far more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from backend.reviews.phrases import TurnText, whole_words
from backend.reviews.read_models import RiskCheck

SELF_HARM = (
    "kill myself", "killing myself", "end my life", "end it all", "ending it all", "suicide",
    "suicidal", "don't want to be here anymore", "don't want to live", "do not want to live",
    "better off dead", "better off without me", "hurt myself", "hurting myself", "cut myself",
    "cutting myself", "overdose", "no reason to live", "not wake up", "wish i was dead",
    "wish i were dead", "take all my pills", "take all the pills", "want to die",
    "no point in living", "not be around anymore", "disappear for good", "ending my life",
    "take my own life", "taking my own life", "end my own life", "and never wake up",
    "never wake up again",
    "better off if i wasn't around", "better off if i weren't around",
    "better off if i wasn't here", "better off if i weren't here", "pills saved up",
    "saving up pills", "saving up my pills", "saved up my pills",
)  # fmt: skip
HARM_TO_OTHERS = (
    "kill him", "kill her", "kill them", "hurt him", "hurt her", "hurt them", "make him pay",
    "make her pay", "make them pay", "get my gun", "shoot him", "shoot her", "beat him up",
    "strangle", "want him dead", "want her dead", "teach him a lesson", "teach her a lesson",
    "kill my boss",
    "kill my ex", "kill my husband", "kill my wife", "kill my partner", "kill my dad",
    "kill my father", "kill my mom", "kill my mum", "kill my mother", "kill my brother",
    "kill my sister", "kill my son", "kill my daughter", "kill my boyfriend",
    "kill my girlfriend", "kill my neighbor", "kill my neighbour", "kill my coworker",
    "kill my teacher", "kill my stepdad", "kill my stepfather",
)  # fmt: skip
# What a response that takes it seriously says: it names the risk or asks about safety. Phrases,
# never an everyday word on its own ("no harm in", "better safe than sorry", "a plan for the
# holidays" are a student moving on): this list is narrow, as a miss here hides a risk.
RESPONSE = (
    "suicide", "suicidal", "kill yourself", "killing yourself", "end your life",
    "ending your life", "take your life", "taking your life", "hurt yourself", "hurting yourself",
    "harm yourself", "harming yourself", "self-harm", "self harm", "are you safe",
    "feel safe", "keep you safe", "keep yourself safe", "your safety", "safety plan",
    "thoughts of suicide", "thoughts of ending", "thoughts of killing", "thoughts of hurting",
    "thoughts of harming", "thoughts of dying", "suicidal thoughts", "have a plan?",
    "made a plan", "a plan to", "in crisis", "crisis line", "hotline",
    "emergency", "want to die", "wanting to die", "better off without you", "better off dead",
    "end it all", "kill him", "kill her", "kill them", "hurt him", "hurt her", "hurt them",
    "cut yourself", "cutting yourself", "overdose", "worried about you",
    "not wanting to be here", "your own life", "how you would do it", "how you'd do it",
    "you're safe", "you are safe", "safe for you", "stay safe tonight", "you stay safe",
    "safe tonight", "harm him", "harm her", "harm them", "harming him", "harming her",
    "harming them", "hurting him", "hurting her", "hurting them", "make him pay",
    "make her pay", "make them pay", "overdosing", "overdosed", "never wake up",
    "not wanting to wake up", "kill someone", "hurt someone", "harm someone", "kill anyone",
    "hurt anyone", "harm anyone", "kill your boss", "kill your ex", "kill your husband",
    "kill your wife", "kill your partner", "hurt your boss", "hurt your ex",
)  # fmt: skip


# Where a self-harm phrase is no self-harm, read on AnnoMI's real sessions, whose every flag had
# been a false alarm that set a skilled session's goal to asking about self-harm (an attack,
# 2026-12-07): a fall ("I'll fall and hurt myself"), harm in the long run weighed against help
# ("do I wanna hurt myself in the long run? Or help myself"), an overdose the client guards
# against ("I don't want to have an overdose and I don't want to get an infection", "I keep it
# in case I overdose," of naloxone), and a question back about the risk the student just raised
# ("What, like suicidal?"). Each excuses only the very words it matches, where the clause ends
# right after them, and none where the sentence speaks of a means or a habit: a miss costs far
# more than a false alarm, and two attacks on the day's fixes found disclosures missed by looser
# readings ("I slipped on the stairs and hurt my wrist, and that night I hurt myself with a
# razor", "I don't want to have an overdose and survive it", "Why not suicide?").
_CLAUSE_ENDS = r"(?=\s*(?:[.,;:!?]|$|(?:and|or|but) i (?:don't|do not) want\b))"
_FALL = (
    r"\b(?:fall|falls|fell|falling|trip|tripped|slip|slipped)"
    r"(?: (?!up\b|apart\b|off\b|back\b)[\w']+){0,4},? and "
)
NOT_SELF_HARM: dict[str, tuple[re.Pattern[str], ...]] = {
    "hurt myself": (
        re.compile(_FALL + r"hurt myself(?: again)?(?: on the \w+| at \w+)?" + _CLAUSE_ENDS),
    ),
    "overdose": (
        re.compile(
            r"\b(?:don't|do not|never) (?:want|wanna) (?:to )?(?:have |get )?(?:an |a )?overdose"
            + _CLAUSE_ENDS
        ),
        re.compile(r"\bin case (?:i|somebody|someone|anyone) overdoses?" + _CLAUSE_ENDS),
    ),
}
# "hurt myself in the long run" only beside "help myself" (AnnoMI 110's weighing).
_LONG_RUN = re.compile(r"hurt myself in the long run")
#: Words that make any of those readings a disclosure after all: a means, a habit, a farewell.
MEANS = re.compile(
    r"\b(?:on purpose|deliberately|meant to|to feel|razor|blade|knife|pills|used to|note|notes"
    r"|letters?|goodbye|gave away|give away|survive|works|find me|properly)\b"
)
#: A question back: the topic's word alone, asked ("What, like suicidal?", "You mean suicide?").
_ASKED_BACK = re.compile(
    r"^(?:(?:what|so|you mean|do you mean|like|sorry)[,]?\s+)*(?:suicidal|suicide)\?$"
)
#: What a student's turn says to raise the risk itself (never "safe" alone: "safe to say").
_RAISED = (
    "your safety", "suicide", "suicidal", "hurt yourself", "harm yourself", "self-harm",
    "self harm", "thoughts of", "are you safe", "keep you safe", "safe tonight", "feel unsafe",
)  # fmt: skip


def _excused(sentence: str, phrase: str, whole_turn: str) -> bool:
    """Whether every occurrence of `phrase` in the sentence lies inside a reading that is no
    self-harm (`NOT_SELF_HARM`), with no means or farewell in the sentence."""
    if MEANS.search(sentence):
        return False
    spans = [m.span() for rule in NOT_SELF_HARM.get(phrase, ()) for m in rule.finditer(sentence)]
    if phrase == "hurt myself" and "help myself" in whole_turn:
        spans += [m.span() for m in _LONG_RUN.finditer(sentence)]
    found = [m.span() for m in re.finditer(whole_words(phrase), sentence)]
    return bool(found) and all(
        any(start <= at and end <= stop for start, stop in spans) for at, end in found
    )


def _self_harm(text: TurnText, student_before: str | None) -> str | None:
    """The first self-harm phrase the client voices, if any (`NOT_SELF_HARM`, `_ASKED_BACK`)."""
    raised = student_before is not None and TurnText(student_before).has(_RAISED)
    for phrase in SELF_HARM:
        for sentence in (s for s in text.sentences if TurnText(s).has((phrase,))):
            if _excused(sentence, phrase, text.all):
                continue
            if raised and _ASKED_BACK.match(sentence.strip()):
                continue
            return phrase
    return None


class _Turn(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def student(self) -> bool: ...


def _sentence_with(raw: str, phrase: str) -> str:
    """The client's sentence holding the phrase, verbatim (what the teacher reads and checks)."""
    for sentence in re.split(r"(?<=[.?!])\s+", raw.strip()):
        if TurnText(sentence).has((phrase,)):
            return sentence.strip()
    return raw.strip()[:300]


def check(turns: Sequence[_Turn]) -> list[RiskCheck]:
    """Every client turn voicing self-harm or harm to others, with the student's response."""
    flagged = []
    for index, turn in enumerate(turns):
        if turn.student:
            continue
        text = TurnText(turn.text)
        before = next((t.text for t in reversed(turns[:index]) if t.student), None)
        phrase = _self_harm(text, before)
        kind = "self-harm"
        if phrase is None:
            phrase, kind = text.first(HARM_TO_OTHERS), "harm to someone else"
        if phrase is None:
            continue
        reply = next((later for later in turns[index + 1 :] if later.student), None)
        responded = reply is not None and TurnText(reply.text).has(RESPONSE)
        if reply is None:
            note = f"The client spoke of {kind}, and the conversation ended there."
        elif responded:
            note = f"The client spoke of {kind}; the next turn asked about it or named it."
        else:
            note = f"The client spoke of {kind}, and the next turn moved on without asking."
        flagged.append(
            RiskCheck(
                client_turn=turn.number,
                quote=_sentence_with(turn.text, phrase),
                student_turn=reply.number if reply else None,
                responded=responded,
                note=note,
            )
        )
    return flagged


def merge(model: list[RiskCheck], offline: list[RiskCheck]) -> list[RiskCheck]:
    """The model's risk items and the offline check's, one per client turn. Where both flag a
    turn, it counts as answered only if both say so (a miss is worse than a false alarm)."""
    by_turn = {item.client_turn: item for item in model}
    for item in offline:
        mine = by_turn.get(item.client_turn)
        if mine is None or mine.responded and not item.responded:
            by_turn[item.client_turn] = item
    return [by_turn[turn] for turn in sorted(by_turn)]


def passed_over(items: list[RiskCheck]) -> list[RiskCheck]:
    """The risk turns the student did not respond to."""
    return [item for item in items if not item.responded]
