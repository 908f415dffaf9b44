"""Whether the offline coder can read a session at all. It learned its words from English
transcripts (AnnoMI) and its rules are English phrases, so a session in another language got
codes, scores and praise for words it had never seen. A session is read when enough of its words
are words the coder knows (the single words of its vocabulary): English sessions, terse,
misspelt or off-topic ones included, are at 60% and more; sessions in other languages at 7% and
less, whatever their language or script."""

from __future__ import annotations

import re
from functools import lru_cache

from backend.reviews.learned_coder import default_coder

# Below this share of known words a session is not read (AnnoMI's sessions: 93% and up; the
# feedback tests' English sessions 80-98%, minimal encouragers 82%, a terse checklist 90%, the
# same addressing "Mr. De La Cruz" 60%, text-speak 74%, talk of work, grief and rent 75%; their
# sessions in Spanish, Polish, Turkish, Vietnamese and Indonesian 0-7%, Chinese and Japanese 0%).
MIN_KNOWN_SHARE = 0.4
# Fewer words than this say too little to tell: read, as before (ten one-word turns are enough).
MIN_WORDS = 6
# A character of a script that writes no spaces between words (Chinese, Japanese, Thai) is a word.
_NO_SPACES = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Words as the coder splits them (its `_WORDS`: "that's" is "that", "mm-hmm" is "mm" and "hmm"),
# without numbers, which belong to no language.
_WORD = re.compile(r"(?u)\b\w\w+\b")
# What is no word of any language: addresses, HTML tags (a student may paste either).
_NOT_WORDS = re.compile(r"\S+://\S*|www\.\S+|<[^>]*>")


@lru_cache(maxsize=1)
def coder_words() -> frozenset[str]:
    """Every single word the shipped coder knows (about 2,100)."""
    return frozenset(word for word in default_coder().known_words() if _WORD.fullmatch(word))


def words(texts: list[str]) -> list[str]:
    """The words of `texts` as the coder reads them (lower case, two letters or more), and each
    character of a script without spaces."""
    found = []
    for text in texts:
        text = _NOT_WORDS.sub(" ", text).lower()
        found += _NO_SPACES.findall(text)
        found += [w for w in _WORD.findall(_NO_SPACES.sub(" ", text)) if not w.isdigit()]
    return found


def known_share(texts: list[str]) -> float | None:
    """The share of the words of `texts` that the coder knows (None: too few to tell)."""
    found = words(texts)
    if len(found) < MIN_WORDS:
        return None
    known = coder_words()
    return sum(1 for word in found if word in known) / len(found)


def reads_as_english(texts: list[str]) -> bool:
    """Whether the offline coder can read these turns."""
    share = known_share(texts)
    return share is None or share >= MIN_KNOWN_SHARE
