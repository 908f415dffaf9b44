"""A transparent rule-based coder for counselor utterances (the offline "automatic demo review").

How it works, so a student or teacher can check any code it gives:

1. The utterance is lower-cased, its quotes straightened and split into sentences.
2. The rules in `RULES` run in order; the first that matches names a *behaviour* (the MITI
   vocabulary plus `summary`). The order is the precedence: what a sentence does to the client
   (confronting, advising, handing over the choice) beats its grammatical form (question or
   statement), so "Have you tried AA?" is advice, not a closed question.
3. The behaviour is mapped onto a code of the rubric in use (`_to_rubric`): the same key if the
   rubric has it, else a listed stand-in (a simple reflection is a "reflection", persuasion is
   "advice"), else for a question or reflection the rubric's first code of that kind, else
   "other", else the rubric's last code (by convention its catch-all).

The counted indicators (`count_indicators`) use only the codes and the rubric's `kind` and `complex`
flags: arithmetic is done here, never by a model.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from backend.schemas.rubrics import RubricDefinition

# --- phrase lists (each rule reads one or two of them) ------------------------------------------

CONFRONT = (
    "in denial", "come on", "an excuse", "same excuse", "you know it", "same thing last",
    "is that what you want", "why would you", "why do you keep", "you never", "you always",
    "a responsible", "what's wrong with you", "you're just", "you're lying", "that's not true",
)  # fmt: skip
PERMISSION = (
    "would it be ok if i", "would it be okay if i", "would it be all right if i", "may i",
    "can i share", "would it be okay to", "would it be ok to", "is it okay if we",
    "is it ok if we", "would you mind if", "would you be willing to talk",
    "if you'd like to hear", "if you're interested", "since you asked", "take it or leave it",
    "may not fit", "might not fit", "you said you wanted ideas", "if you want my",
    "see what you think",
)  # fmt: skip
SUGGESTION = (
    "some people", "others", "you could", "you might", "one option", "one idea",
    "suggestion", "here's one", "what has helped", "has worked",
)  # fmt: skip
AUTONOMY = (
    "your choice", "up to you", "your decision", "you get to decide", "only you can",
    "expert on your own", "your call", "you decide", "you're in charge of",
)  # fmt: skip
COLLABORATION = (
    "what would you like to", "how would you like", "shall we", "together", "let's work",
    "what ideas do you have", "where would you like to start", "where do you think we should",
    "would you like to talk about", "what do you want to focus on",
)  # fmt: skip
ADVICE = (
    "you should", "i think you need", "you need to", "if i were you",
    "the best thing you could do", "you ought to", "you have to", "you'd better",
)  # fmt: skip
# Advice put as a question counts only when the sentence opens with it ("What have you tried?" is
# an open question, "Have you tried AA?" a suggestion).
ADVICE_OPENINGS = ("have you tried", "why don't you", "don't you think", "have you thought about")
AFFIRM = (
    "courage", "worked hard", "worked really hard", "commitment", "i appreciate", "you clearly",
    "doesn't give up", "don't give up", "strength", "well done", "already made", "proud of",
    "determined", "determination", "a creative idea", "that's a great idea", "resourceful",
)  # fmt: skip
SUMMARY = (
    "let me see if i've got", "let me see if i have", "sum up", "let me summarize",
    "let me summarise", "so far you've", "to recap", "let me make sure i've got",
)  # fmt: skip
REFLECTION_STEMS = (
    "it sounds like", "sounds like", "it seems", "you feel", "you're feeling", "you're saying",
    "so you", "you've been", "you're ", "you've ", "you don't", "you want", "you're not",
    "your ", "you ", "so the", "so what", "part of you", "on the one hand", "it's like",
    "and yet", "even though", "so it",
)  # fmt: skip
# What turns a reflection complex: a double-sided view, a metaphor, an added feeling or value.
COMPLEX = (
    "on the one hand", "on the other", "part of you", "it's like", "like you're", "as if",
    "underneath", "important to you", "matters most", "mean everything", "means a lot",
    "wonder", "wondering", "and yet", "even though", "at the same time", "matters to you",
    "a big deal for you", "care about", "must have been", "must be", "shoulders",
    "running on empty",
)  # fmt: skip
DEEP_FEELINGS = (
    "hurt", "betrayed", "ashamed", "guilty", "lonely", "afraid", "scared", "trapped",
    "helpless", "hopeless", "resentful", "abandoned", "humiliated", "torn", "frightening",
    "frightened", "terrified", "heartbroken",
)  # fmt: skip
INFORMATION = (
    "research", "studies", "usually", "many people", "most people", "there's a", "there is a",
    "the clinic", "our sessions", "offers", "showed", "percent", "on average", "confidential",
    "tends to", "is linked to", "increases the risk",
)  # fmt: skip
OPEN_MARKERS = (
    "what", "how", "why", "tell me", "describe", "walk me through", "say more", "explain",
    "in what way", "where does that leave", "where do you see", "where do you want",
)  # fmt: skip
# An open question put as a request ("Tell me about...", "Could you describe...?").
INVITATIONS = (
    "tell me", "describe", "walk me through", "say more", "talk about", "help me understand",
)  # fmt: skip
CLOSED_WH = ("how many", "how much", "how old", "how often", "how long", "on a scale")
AUXILIARIES = (
    "do", "does", "did", "is", "are", "was", "were", "have", "has", "had", "can", "could",
    "would", "will", "shall", "should", "may", "might", "am", "isn't", "aren't", "don't",
    "didn't", "won't", "wouldn't",
)  # fmt: skip
TAGS = (
    "right?", "isn't it?", "didn't you?", "don't you?", "aren't you?", "wasn't it?", "okay?",
    "ok?", "correct?", "yeah?", "is that right?",
)  # fmt: skip


# --- the text as the rules see it ---------------------------------------------------------------


class _Text:
    """An utterance lower-cased and split into sentences, with small helpers for the rules."""

    def __init__(self, raw: str) -> None:
        text = raw.lower().replace("\u2019", "'").replace("\u2018", "'")
        self.all = re.sub(r"\s+", " ", text).strip()
        self.sentences = [s for s in re.split(r"(?<=[.?!])\s+", self.all) if s] or [""]
        self.first = self.sentences[0]
        self.last = self.sentences[-1]

    def has(self, phrases: tuple[str, ...], where: str | None = None) -> bool:
        """Whether any phrase occurs as whole words ("you decide" is not in "you decided")."""
        haystack = self.all if where is None else where
        return any(re.search(_whole(phrase), haystack) for phrase in phrases)

    @staticmethod
    def words(sentence: str) -> list[str]:
        return re.findall(r"[a-z']+", sentence)


def _whole(phrase: str) -> str:
    return rf"(?<![a-z']){re.escape(phrase.strip())}(?![a-z'])"


def _starts_with(sentence: str, phrases: tuple[str, ...]) -> bool:
    return any(sentence.startswith(phrase) for phrase in phrases)


# --- the rules, in precedence order --------------------------------------------------------------


def _confront(t: _Text) -> str | None:
    """Arguing, blaming, labelling or doubting the client: one-up whatever the grammar."""
    return "confront" if t.has(CONFRONT) else None


def _permission(t: _Text) -> str | None:
    """Asking leave to advise; advice in the same turn makes it persuasion with permission."""
    if not t.has(PERMISSION):
        return None
    if t.has(SUGGESTION) or ":" in t.all:
        return "persuade_with_permission"
    return "seeking_collaboration"


def _autonomy(t: _Text) -> str | None:
    """Saying the choice is the client's."""
    return "emphasizing_autonomy" if t.has(AUTONOMY) else None


def _collaboration(t: _Text) -> str | None:
    """Inviting the client to set the agenda or bring their own ideas."""
    return "seeking_collaboration" if t.has(COLLABORATION) else None


def _advice(t: _Text) -> str | None:
    """Unasked-for advice, including advice dressed as a question ("Have you tried...?")."""
    opens_with_advice = any(_starts_with(s, ADVICE_OPENINGS) for s in t.sentences)
    return "persuade" if t.has(ADVICE) or opens_with_advice else None


def _affirm(t: _Text) -> str | None:
    """Naming a strength or effort of the client."""
    return "affirm" if t.has(AFFIRM) else None


def _summary(t: _Text) -> str | None:
    """Gathering several things the client said."""
    return "summary" if t.has(SUMMARY) else None


def _reflection_kind(t: _Text) -> str:
    deep = any(re.search(_whole(word), t.all) for word in DEEP_FEELINGS)
    return "complex_reflection" if t.has(COMPLEX) or deep else "simple_reflection"


def _tag_question(t: _Text) -> str | None:
    """A statement put up for a yes or no ("You're 23, right?")."""
    return "closed_question" if t.last.endswith(TAGS) and "," in t.last else None


def _invitation(t: _Text) -> str | None:
    """An open question put as a request ("Tell me more about...")."""
    return "open_question" if _starts_with(t.first, INVITATIONS) else None


def _reflection(t: _Text) -> str | None:
    """A statement that gives the client's words back, found by its stem or a complex marker.

    A lone stem with a question mark ("You feel nobody listens?") is still a reflection. Before a
    question, a complex reflection is the act that counts ("On the one hand... Where does that
    leave you?"); a simple restatement is only the lead-in to the question.
    """
    statements = [s for s in t.sentences if not s.endswith("?")]
    lone_stem = len(t.sentences) == 1 and not statements and _starts_with(t.first, REFLECTION_STEMS)
    if lone_stem and t.words(t.first)[0] not in AUXILIARIES:
        return _reflection_kind(t)
    reflective = [
        s
        for s in statements
        if (_starts_with(s, REFLECTION_STEMS) and not t.has(INFORMATION, s)) or t.has(COMPLEX, s)
    ]
    if not reflective:
        return None
    kind = _reflection_kind(t)
    if len(statements) < len(t.sentences) and kind == "simple_reflection":
        return None
    return kind


def _question(t: _Text) -> str | None:
    """Open (what/how/why/tell me) or closed (auxiliary verb first, a number, a short fact)."""
    question = next((s for s in t.sentences if s.endswith("?")), None)
    if question is None:
        return None
    words = t.words(question)
    if t.has(CLOSED_WH, question):
        return "closed_question"
    if words and words[0] in AUXILIARIES:
        invites = t.has((*INVITATIONS, "explain"), question)
        return "open_question" if invites else "closed_question"
    if any(re.search(rf"\b{marker}\b", question) for marker in OPEN_MARKERS):
        return "open_question"
    return "closed_question"


def _information(t: _Text) -> str | None:
    """Facts, figures and explanation offered neutrally."""
    return "giving_information" if t.has(INFORMATION) else None


def _default(t: _Text) -> str:
    """Any other statement: about the client ("you"), a reflection; else information."""
    if re.search(r"\byou('re|'ve|'d|'ll)?\b", t.all):
        return _reflection_kind(t)
    return "giving_information"


RULES: tuple[Callable[[_Text], str | None], ...] = (
    _confront,
    _permission,
    _autonomy,
    _collaboration,
    _advice,
    _affirm,
    _summary,
    _tag_question,
    _invitation,
    _reflection,
    _question,
    _information,
)

# --- onto the rubric ----------------------------------------------------------------------------

STAND_INS: dict[str, tuple[str, ...]] = {
    "simple_reflection": ("reflection",),
    "complex_reflection": ("reflection",),
    "summary": ("complex_reflection", "reflection"),
    "persuade": ("advice",),
    "persuade_with_permission": ("advice", "persuade"),
}
KINDS = {
    "open_question": "question",
    "closed_question": "question",
    "simple_reflection": "reflection",
    "complex_reflection": "reflection",
    "summary": "reflection",
}


def behaviour(text: str) -> str:
    """The coder's own label for an utterance (MITI vocabulary plus `summary`), before mapping."""
    t = _Text(text)
    for rule in RULES:
        found = rule(t)
        if found:
            return found
    return _default(t)


def _to_rubric(found: str, rubric: RubricDefinition) -> str:
    keys = rubric.code_keys
    for candidate in (found, *STAND_INS.get(found, ())):
        if candidate in keys:
            return candidate
    kind = KINDS.get(found)
    same_kind = [code.key for code in rubric.codes if kind and code.kind == kind]
    if same_kind:
        return same_kind[0]
    return "other" if "other" in keys else keys[-1]


def code_utterance(text: str, rubric: RubricDefinition) -> str:
    """The rubric code the rules give one counselor utterance (always a key of `rubric.codes`)."""
    return _to_rubric(behaviour(text), rubric)


def count_indicators(codes: list[str], rubric: RubricDefinition) -> dict[str, float | None]:
    """R:Q, share of complex reflections and share of open questions, counted from the codes.

    None where the denominator is zero or the rubric cannot tell (no complex reflection code, no
    `open_question` code). Raises ValueError for a code the rubric does not have.
    """
    by_key = {code.key: code for code in rubric.codes}
    unknown = sorted({code for code in codes if code not in by_key})
    if unknown:
        raise ValueError(f"codes not in rubric {rubric.key!r}: {', '.join(unknown)}")
    questions = sum(1 for code in codes if by_key[code].kind == "question")
    reflections = sum(1 for code in codes if by_key[code].kind == "reflection")
    complex_ = sum(1 for code in codes if by_key[code].complex)
    opens = codes.count("open_question")
    can_tell_complex = any(code.complex for code in rubric.codes)
    return {
        "reflection_to_question": reflections / questions if questions else None,
        "percent_complex_reflections": (
            complex_ / reflections if reflections and can_tell_complex else None
        ),
        "percent_open_questions": (
            opens / questions if questions and "open_question" in by_key else None
        ),
    }
