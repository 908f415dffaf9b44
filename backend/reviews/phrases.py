"""How the offline review's rules read a turn: lower case, straight quotes, one space, split into
sentences, and phrases matched as whole words. The coder's rules and the risk check share it."""

from __future__ import annotations

import re


class TurnText:
    """The turn as the rules read it: lower case, straight quotes, split into sentences."""

    def __init__(self, raw: str) -> None:
        text = raw.lower().replace("\u2019", "'").replace("\u2018", "'")
        self.all = re.sub(r"\s+", " ", text).strip()
        self.sentences = [s for s in re.split(r"(?<=[.?!])\s+", self.all) if s] or [""]

    def has(self, phrases: tuple[str, ...]) -> bool:
        """Whether any phrase occurs as whole words ("you decide" is not in "you decided")."""
        return self.first(phrases) is not None

    def first(self, phrases: tuple[str, ...]) -> str | None:
        """The first of `phrases` that occurs as whole words, if any."""
        return next((p for p in phrases if re.search(whole_words(p), self.all)), None)

    def opens_with(self, phrases: tuple[str, ...]) -> bool:
        """Whether a sentence starts with a phrase, after a lead-in ("So, you should ...")."""
        return any(
            re.match(whole_words(phrase), LEAD_IN.sub("", sentence))
            for sentence in self.sentences
            for phrase in phrases
        )


LEAD_IN = re.compile(r"^(?:(?:so|well|okay|ok|and|but|then|now|i mean|honestly)[,]?\s+)+")


def whole_words(phrase: str) -> str:
    """The pattern of `phrase` as whole words (lower-case text)."""
    return rf"(?<![a-z']){re.escape(phrase.strip())}(?![a-z'])"


def has_words(text: str, phrase: str) -> bool:
    """Whether `phrase` is in `text` as whole words, ignoring case: a piece of a word is not
    ("responsible" is not in "irresponsible", "I don" not in "I don't"); words beside quote
    marks are ("a lost cause" is in "calling me 'a lost cause'", "my parents" in "my parents'
    place")."""
    return as_written(text, phrase) is not None


def as_written(text: str, phrase: str) -> str | None:
    """`phrase` as `text` writes it, in its own capitals, where it is there (`has_words`): a
    review shows the student's words, not the model's copy of them ("I THINK YOU SHOULD QUIT"
    for "I think you should quit": an attack, 2026-12-07)."""
    pattern = rf"(?<![a-z0-9])(?<![a-z]'){re.escape(phrase.strip().lower())}(?![a-z0-9]|'[a-z])"
    lowered = text.lower()
    found = re.search(pattern, lowered)
    if found is None:
        return None
    if len(lowered) != len(text):  # a letter whose lower case is longer ("İ"): no slice to take
        return phrase.strip()
    return text[found.start() : found.end()]
