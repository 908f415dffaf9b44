"""Whether the offline coder can read a session at all: it was built on English transcripts
(AnnoMI) and its rules are English phrases, so a session in another language gets codes, scores
and praise for words it cannot read. A session is judged by evidence of another language (its own
function words: "que", "de", "ich"; or another script), never by a lack of English ones: English
typed as a terse checklist ("Drinks per week?") has few of those and is still English."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
# Function words of the other languages a student is likeliest to type in Latin letters (Spanish,
# French, German, Italian, Portuguese, Dutch, Tagalog), less those English spells too ("die",
# "was", "son", "met", "per", "um", "er"...): evidence of another language, not of poor English.
# fmt: off
_OTHER = frozenset({
    "de", "la", "que", "el", "en", "los", "se", "del", "las", "un", "por", "con", "una", "su",
    "para", "es", "al", "lo", "como", "más", "pero", "sus", "le", "ya", "este", "sí", "porque",
    "esta", "cuando", "muy", "sin", "sobre", "también", "hasta", "hay", "donde", "desde", "todo",
    "nos", "todos", "les", "ni", "eso", "esto", "mí", "qué", "yo", "él", "nada", "mucho", "ella",
    "mi", "mis", "tú", "te", "tu", "tus", "estoy", "estás", "está", "estar", "soy", "eres", "son",
    "tengo", "tienes", "tiene", "puedes", "debes", "deberías", "quiero", "des", "du",
    "une", "et", "est", "qui", "dans", "pas", "ne", "sur", "au", "avec", "ce", "il", "elle",
    "je", "vous", "nous", "mais", "ou", "sa", "ses", "leur", "été", "être", "avoir", "fait",
    "très", "aussi", "moi", "toi", "lui", "ça", "c'est", "j'ai", "der", "das", "und", "ist",
    "nicht", "ich", "sie", "wir", "ihr", "ein", "eine", "zu", "mit", "auf", "für", "von",
    "dem", "sich", "auch", "als", "wie", "aber", "noch", "nach", "bei", "aus", "wenn", "nur",
    "kann", "dass", "oder", "haben", "sind", "bist", "gli", "di", "da", "tra", "fra", "è", "non",
    "che", "sono", "sei", "ti", "ci", "ho", "hai", "anche", "questo", "quello", "perché",
    "molto", "os", "as", "dos", "em", "na", "uma", "não", "com", "eu", "você",
    "ele", "ela", "nós", "muito", "estou", "são", "het", "een", "ik", "jij",
    "hij", "zij", "wij", "niet", "dat", "op", "voor", "zijn", "maar", "ook", "bij", "wat",
    "nog", "om", "ang", "ng", "mga", "ko", "mo", "ako", "ikaw", "siya", "hindi",
    "ba", "ay", "kung", "lang", "po",
}) - COMMON_ENGLISH - {"as", "son"}
# fmt: on
# A session is not read as English when at least this share of its words are another language's
# function words and they outnumber English ones (Spanish sessions: 0.3 and more; English typed
# in a hurry or tersely has almost none, however few common English words it has), or when most
# of its words are in a script other than Latin.
MIN_OTHER_SHARE = 0.15
# Fewer words than this say too little to tell: read as English, as before. Scripts that write no
# spaces between words (Chinese, Japanese, Thai) count each character as a word.
MIN_WORDS = 12
_NO_SPACES = re.compile(r"([\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_LATIN = re.compile(r"^[a-z'\-\u00c0-\u024f\u1e00-\u1eff]+$")
# What is no word of any language: addresses, HTML tags (a student may paste either).
_NOT_WORDS = re.compile(r"\S+://\S*|www\.\S+|<[^>]*>")


@dataclass(frozen=True)
class Shares:
    """Of a text's words: common English ones, other languages' function words, non-Latin ones."""

    english: float
    other: float
    not_latin: float


def shares(texts: list[str]) -> Shares | None:
    """What `texts` are written in, as shares of their words (None: too few words to tell).
    Letters alone ("x", "p") are no words, but for "I" and a character of a script without
    spaces."""
    words = [
        word.lower().replace("\u2019", "'")
        for text in texts
        for word in _WORD.findall(_NO_SPACES.sub(r" \1 ", _NOT_WORDS.sub(" ", text)))
        if len(word) > 1 or word in "Ii" or not word.isascii()
    ]
    if len(words) < MIN_WORDS:
        return None
    return Shares(
        english=sum(1 for word in words if word in COMMON_ENGLISH) / len(words),
        other=sum(1 for word in words if word in _OTHER) / len(words),
        not_latin=sum(1 for word in words if not _LATIN.match(word)) / len(words),
    )


def reads_as_english(texts: list[str]) -> bool:
    """Whether these turns are English enough for the offline coder to read: not mostly in
    another script, and not mostly another language's function words."""
    found = shares(texts)
    if found is None:
        return True
    other_language = found.other >= MIN_OTHER_SHARE and found.other > found.english
    return not (found.not_latin >= 0.5 or other_language)
