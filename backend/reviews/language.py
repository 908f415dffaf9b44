"""Whether the offline coder can read a session at all: it was built on English transcripts
(AnnoMI) and its rules are English phrases, so a session in another language gets codes, scores
and praise for words it cannot read. Spoken English is dense in a few short words ("you", "the",
"and", "I", "to"); other languages use them rarely, and scripts other than Latin not at all."""

from __future__ import annotations

import re

# The commonest words of English conversation (counsellors' and clients' alike): function words,
# pronouns and the verbs of talk. Spellings other languages use as often ("a", "no", "la", "he")
# would not tell them apart, so they are left out.
# fmt: off
COMMON_ENGLISH = frozenset({
    "about", "all", "also", "am", "and", "any", "anything", "are", "at", "be", "because",
    "been", "being", "but", "can", "can't", "could", "did", "do", "does", "don't", "down",
    "feel", "feeling", "felt", "for", "from", "get", "go", "going", "got", "had", "has", "have",
    "her", "here", "him", "his", "hmm", "how", "i", "i'll", "i'm", "i've", "if", "in", "into",
    "is", "it", "it's", "its", "just", "kind", "know", "like", "little", "lot", "may", "me",
    "mean", "might", "mm-hmm", "more", "much", "must", "my", "need", "not", "now", "of", "oh",
    "ok", "okay", "on", "or", "our", "out", "over", "really", "right", "said", "say", "seems",
    "she", "should", "so", "some", "something", "sort", "sound", "sounds", "talk", "talking",
    "tell", "than", "that", "that's", "the", "their", "them", "then", "there", "these", "they",
    "thing", "things", "think", "this", "those", "time", "to", "told", "too", "uh", "um", "up",
    "us", "very", "want", "was", "way", "we", "well", "what", "when", "where", "which", "who",
    "why", "will", "with", "would", "yeah", "yes", "you", "you'll", "you're", "you've", "your",
})
# fmt: on
# Below this share of common English words a session is not read as English (the counsellors'
# turns of AnnoMI's 88 training transcripts: 0.51-0.77, their first three turns 0.44 and up;
# the feedback tests' sessions 0.51-0.71, typed in a hurry 0.48; their Spanish session 0.0).
MIN_ENGLISH_SHARE = 0.2
# Fewer words than this say too little to tell: read as English, as before.
MIN_WORDS = 12
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
# What is no word of any language: addresses, HTML tags (a student may paste either).
_NOT_WORDS = re.compile(r"\S+://\S*|www\.\S+|<[^>]*>")


def english_share(texts: list[str]) -> float | None:
    """The share of the words of `texts` that are common English words (None: too few). Letters
    alone ("x", "p") are no words, but for "I"."""
    words = [
        word.lower().replace("\u2019", "'")
        for text in texts
        for word in _WORD.findall(_NOT_WORDS.sub(" ", text))
        if len(word) > 1 or word in "Ii"
    ]
    if len(words) < MIN_WORDS:
        return None
    return sum(1 for word in words if word in COMMON_ENGLISH) / len(words)


def reads_as_english(texts: list[str]) -> bool:
    """Whether these turns are English enough for the offline coder to read."""
    share = english_share(texts)
    return share is None or share >= MIN_ENGLISH_SHARE
