"""Text typed by people, checked once at the service boundary.

PostgreSQL refuses NUL characters in text columns (it raises `DataError` deep inside a flush), and
other control characters only ever arrive from pasted or forged input. Every service that stores
what a person typed runs it through `clean_text`, so the person reads which field to fix.
"""

from __future__ import annotations

import re
import unicodedata

from backend.errors import ValidationError

# C0 controls except tab, newline and carriage return; DEL; and the NUL PostgreSQL refuses.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_forbidden_characters(value: str) -> bool:
    return _FORBIDDEN.search(value) is not None


def without_control_characters(value: str) -> str:
    """`value` without the control characters people's text is refused for: a model's text
    is stored as it arrives, and one stray character (a NUL PostgreSQL refuses, a form feed a
    course import refuses) must not break what holds it."""
    return _FORBIDDEN.sub("", value)


# Spaces, line breaks, controls, format characters (zero-width spaces, joiners, byte order marks)
# and marks with nothing to sit on (variation selectors, the combining grapheme joiner): what shows
# nothing on screen. With the fillers that Unicode counts as letters or symbols but draws as
# nothing (the Hangul fillers, the Braille blank, the null notehead), which "invisible
# character" sites hand out.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})
_BLANK_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\U0001d159")


def as_shown(value: str) -> str:
    """A name as it reads on screen: accents on their letters (NFC), nothing that draws nothing
    (zero-width spaces, joiners), one space between words. Two names that read alike are then
    the same text, so a look-alike of another account's name is recognised."""
    drawn = "".join(char for char in value if unicodedata.category(char) != "Cf")
    return " ".join(unicodedata.normalize("NFC", drawn).split())


def reads_as(value: str) -> str:
    """A name as it reads, capitals aside (`as_shown`, case-folded): two names that read alike
    are one name (a criterion's, a rubric's, a person's in a table)."""
    return as_shown(value).casefold()


#: What draws nothing after a letter without being a format character (`as_shown` drops
#: those): variation selectors, the grapheme joiner, Mongolian selectors, Khmer inherent vowels,
#: and the blank fillers. A name with one had read as another account's (an attack on the day's
#: fixes, 2026-12-07).
_DRAWS_NOTHING = re.compile(
    "[\u034f\u17b4\u17b5\u180b-\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef"
    + "".join(_BLANK_FILLERS)
    + "]"
)


def drawn(value: str) -> str:
    """`value` without what draws nothing (for telling names apart as a reader does)."""
    return _DRAWS_NOTHING.sub("", value)


def is_blank(value: str) -> bool:
    """Nothing in `value` shows on screen (a message of zero-width spaces looks empty too)."""
    return all(
        char in _BLANK_FILLERS or unicodedata.category(char) in _INVISIBLE_CATEGORIES
        for char in value
    )


def clean_text(
    value: str | None,
    *,
    field: str,
    label: str,
    max_chars: int | None = None,
    required: bool = False,
) -> str:
    """`value` stripped; raises `ValidationError` (with a field error) for control characters,
    a missing required value or one over `max_chars`."""
    text = (value or "").strip()
    problem = None
    if has_forbidden_characters(text):
        problem = (
            f"{label} contains an invisible control character (often from pasting). "
            "Retype it and try again."
        )
    elif required and is_blank(text):
        problem = f"Enter {label.lower()}."
    elif max_chars is not None and len(text) > max_chars:
        problem = f"{label} can be at most {max_chars:,} characters; this has {len(text):,}."
    if problem:
        raise ValidationError(problem, {field: problem})
    return text


def bounded(value: object, max_chars: int = 200) -> str:
    """`value` as text cut to `max_chars` (for logs and events: never store a huge input whole)."""
    text = str(value)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


_SENTENCE_END = re.compile(r"""[.!?…]+["'’”)\]]*(?=\s|$)""")
# Where a first sentence ends: before a capital or the end, not after a title, an initial or a
# common abbreviation ("Referred by Dr. Patel", "the U.S. last year", "2.5 bottles").
_FIRST_SENTENCE_END = re.compile(
    r"""[.!?…。！？]+["'’”)\]]*(?=\s+["“(¿¡]?[^\W_]|\s*$|(?<=[。！？]))"""
)
FIRST_SENTENCE_CHARS = 200
_ABBREVIATED = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|Mx|St|Jr|Sr|Prof|Rev|Mt|No|vs|etc|approx|e\.g|i\.e)|\b[A-Z])\.$"
)


def first_sentence(text: str) -> str:
    """The first sentence of `text`, whole, ending as a sentence does (a full stop added where
    it had none); "" for blank text."""
    text = text.strip()
    sentence = text
    for end in _FIRST_SENTENCE_END.finditer(text):
        if not _ABBREVIATED.search(text[: end.start() + 1]):
            sentence = text[: end.end()]
            break
    if len(sentence) > FIRST_SENTENCE_CHARS:  # a card's line, never a whole page
        return sentence[: FIRST_SENTENCE_CHARS - 1].rsplit(None, 1)[0] + "…"
    return (
        sentence
        if not sentence or sentence.endswith((".", "!", "?", "…", "。", "！", "？"))
        else sentence + "."
    )


def whole_sentences(text: str) -> str:
    """`text` up to the end of its last whole sentence (a reply cut off mid-sentence ends
    cleanly); text without a sentence end keeps its words and ends with "…"."""
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    if ends:
        return text[: ends[-1]].rstrip()
    return text.rstrip().rstrip(",;:-–—") + "…" if text.strip() else text
