"""The output guard's normal form of text: words with case, punctuation, fillers ("um", "you
know") and simple endings set aside, numbers as digits ("twelve" and "12" match), and how much a
word says (a name, a number of 10 or more or a rare word is distinctive; an everyday one is not).

Kept apart from `output_guard` so the rules there read without the word lists.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple


def _inside_words() -> str:
    """A character class of what continues a word without being a letter: format characters,
    which draw nothing (a zero-width space, a soft hyphen, a word joiner), and combining marks
    (an accent written apart from its letter, as some Mac applications and PDFs paste "ü"; the
    vowel signs of Indic scripts). Without them "preg\u200bnant" was two words to the guard and
    one to the student. Read from Unicode's categories once (about 20 ms): planes 0 and 1 with
    the ideograph and Hangul syllable blocks skipped (none of them is a mark), and plane 14's
    tags and variation selectors."""
    points = [
        *range(0x4E00),
        *range(0xA000, 0xAC00),
        *range(0xD7A4, 0x20000),
        *range(0xE0000, 0xE01F0),
    ]
    spans: list[tuple[int, int]] = []
    for point in points:
        category = unicodedata.category(chr(point))
        if category == "Cf" or category[0] == "M":
            if spans and spans[-1][1] == point - 1:
                spans[-1] = (spans[-1][0], point)
            else:
                spans.append((point, point))
    return "".join(
        re.escape(chr(first)) + (f"-{re.escape(chr(last))}" if last > first else "")
        for first, last in spans
    )


# Enclosed letters (circled "ⓟ", parenthesized "⒫", squared "🄿", negative "🅟" and "🅿") are
# symbols to Unicode but letters to a reader: a secret in "bubble letters" went through unread
# (an attack, 2026-12-07). Each block holds 26 letters from its first code point.
_ENCLOSED_BLOCKS = (
    (0x249C, "a"),
    (0x24B6, "A"),
    (0x24D0, "a"),
    (0x1F110, "A"),
    (0x1F130, "A"),
    (0x1F150, "A"),
    (0x1F170, "A"),
)
_ENCLOSED = "".join(f"{chr(first)}-{chr(first + 25)}" for first, _ in _ENCLOSED_BLOCKS)
_LETTER = rf"(?:[^\W_]|[{_ENCLOSED}])"
_INSIDE = f"[{_inside_words()}]"
_WORD_PART = rf"{_LETTER}(?:{_LETTER}|{_INSIDE})*"
TOKEN = re.compile(
    rf"\d(?:[\d,]|{_INSIDE})*(?:\.\d+)?(?:st|nd|rd|th)?|{_WORD_PART}(?:['\u2019]{_WORD_PART})*"
)
#: What `_surface` takes out of a word: format characters (they draw nothing) and marks that do
#: not stand alone (accents, strokes, underlines and circles over letters, selectors, joiners):
#: the student reads the letters through them. Spacing marks (Indic vowel signs) stay.
_READ_THROUGH = frozenset({"Cf", "Mn", "Me"})
FACT_END = re.compile(r"(?<!\d)[.!?;]+(?!\d)|\n+|\s[-\u2013\u2014]\s")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FILLERS = _word_set("um umm uh uhh uhm er erm hmm hm mm mhm ah eh like")
_STOP = _word_set(
    """a an the and or but nor so yet if then than that this these those there here what which
    who whom whose when where why how all any both each few more most other some such no not
    never only own same too very can will should would could might must shall may do does did
    doing done be been being am is are was were has have had having i me my mine myself we us
    our ours you your yours he him his she her hers it its they them their theirs himself herself
    itself themselves yourself of to in on at by for with about against between into through
    during before after above below from up down out off over under again further once since
    until while as because though although also even still ever really actually recently
    currently now just quite rather almost already ago oh well yes yeah ok okay
    much many every enough another else anymore probably perhaps either neither
    secret secrets secretly hidden hide hides hiding privately nobody anyone anybody knows known
    told tell tells telling admit admits admitted"""
)
#: Everyday content words: they count as key words, at half the weight of a distinctive word.
COMMON_WORDS = _word_set(
    """people person man men woman women child children kid kids baby family mother mom mum
    father dad parent parents sister brother son daughter wife husband partner boyfriend
    girlfriend friend boss aunt uncle grandma grandmother grandfather cousin thing stuff lot bit
    way part kind sort time day week month year night morning evening today tonight yesterday
    tomorrow weekend hour minute moment life last next first new old long little big small good
    bad great better worse best worst hard easy right wrong real sure fine sorry happy sad angry
    tired scared afraid worried home house place room street road town city school work job
    office money car phone food water drink bottle get got go goes went gone come came make made
    take took give gave say said see saw know knew think thought feel felt want need look find
    found keep kept let put try start stop stay leave left lose lost live move help talk call ask
    play use pay paid buy eat sleep die died dead pass happen believe remember understand hope mean
    care love hate miss wish decide spend hold bring turn change open close sit stand walk run drive
    read write watch hear listen learn plan show meet send break fall fight win worry trust deal
    head face hand eye heart body mind health doctor class teacher game team book story news
    problem question reason idea point fact case end side name word number world country area
    business company shop store party church bed door table bus train dog cat something nothing
    everything anything someone everyone everybody somebody lately always sometimes often maybe
    back away around january february march april june july august september october november
    december monday tuesday wednesday thursday friday saturday sunday"""
)
_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety"
)
_UNITS = {word: value for value, word in enumerate(_NUMBERS.split()[:20])}
_TENS = {word: 10 * value for value, word in enumerate(_NUMBERS.split()[20:], 2)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", ""))
DISTINCTIVE, COMMON = 1.0, 0.5


def _stem(word: str) -> str:
    """A crude stem, the same for both sides of a comparison: "divorced" and "divorce" match."""
    if word[0].isdecimal():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word[-2] in "su":
                break
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


# Letters of other alphabets that look like Latin ones, as the Latin letters ("аbortion" with a
# Cyrillic "а" is "abortion"), upper case as well as lower (Cyrillic "Т" is "T", Greek "ν" is
# "v" but "Ν" is "N"). Read so unless all the word's letters are of one such alphabet: a client
# who answers in Russian or Greek writes words of those alphabets, which are not English words
# in disguise ("сор" is no "cop", "και" no "Kai").
_LOOKALIKES = dict(
    zip(
        "аеорсухіјѕԁһԛԝӏАВЕКМНОРСТХУІЈЅ"  # Cyrillic
        "οαικνρυχϲεΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"  # Greek
        "օ",  # Armenian
        "aeopcyxijsdhqwlABEKMHOPCTXYIJSoaikvpuxceABEZHIKMNOPTYXo",
        strict=True,
    )
)
# Latin's own lookalikes (the alpha, small capitals): read so in any word.
_LATIN_LOOKALIKES = dict(zip("ɑᴀʙᴄᴅᴇɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", "aABCDEGHIJKLMNOPRSTUVWYZ", strict=True))


def _plain(char: str, lookalikes: bool = False) -> str:
    """A letter in its plain form: without accents, and full-width, bold or ligature letters as
    the letters they look like ("é" e, "ｐ" p, "𝐩" p, "ﬁ" fi), and with `lookalikes` (a word
    not all of one alphabet) those of `_LOOKALIKES`, accented too ("ό" o); a digit of any
    script as 0-9. Anything else as it is ("½" stays one sign, not "1⁄2")."""
    if char.isdecimal():
        return str(unicodedata.decimal(char))  # "１" and "١" are 1
    if not char.isalpha():
        return _enclosed_letter(char) or char
    decomposed = unicodedata.normalize("NFKD", char)
    plain = "".join(part for part in decomposed if not unicodedata.combining(part)) or char
    # A letter that is only a mark (a half-width sound mark) stays as it was.
    plain = _LATIN_LOOKALIKES.get(plain, plain)
    return _LOOKALIKES.get(plain, plain) if lookalikes else plain


def _enclosed_letter(char: str) -> str | None:
    """The Latin letter an enclosed one stands for ("ⓟ" p, "🅿" P), else None."""
    point = ord(char)
    for first, base in _ENCLOSED_BLOCKS:
        if first <= point < first + 26:
            return chr(ord(base) + point - first)
    return None


def _alphabets(word: str) -> set[str]:
    """The alphabets of `word`'s letters, by their Unicode names' first word ("CYRILLIC",
    "GREEK", "LATIN", "FULLWIDTH", "MATHEMATICAL", ...): a Russian or Greek word is all one."""
    return {unicodedata.name(char, "").split(" ")[0] for char in word if char.isalpha()}


def _surface(raw: str) -> str:
    """Lower case without accents or full-width forms ("José" is "jose", "ｐｒｅｇ" "preg"),
    straight apostrophes, no possessive "'s", digits without commas or "th"."""
    word = raw.replace("\u2019", "'")
    if not word.isascii():  # most words of a reply are: no character to look up
        # Its letters as read: without what draws nothing and the marks over them ("u" + U+0308
        # is "u", as "ü" is; a struck-through "preg" is "preg"); lookalikes unless the word is
        # all Cyrillic, all Greek or all Armenian.
        mixed = _alphabets(word) not in ({"CYRILLIC"}, {"GREEK"}, {"ARMENIAN"})
        word = "".join(
            _plain(char, mixed) for char in word if unicodedata.category(char) not in _READ_THROUGH
        )
    word = word.lower()
    if word[0].isdecimal():
        return re.sub(r"(st|nd|rd|th)$", "", word.replace(",", "")).rstrip(".") or "0"
    return word[:-2] if word.endswith("'s") else word


class Word(NamedTuple):
    """One word in normal form, with where it is in the text it came from."""

    form: str  # the stem (numbers: digits)
    surface: str
    start: int
    end: int


#: This many single letters in a row are one word spelled out ("P-R-E-G-N-A-N-T", "p r e g").
SPELLED_OUT = 3
SINGLE_LETTER_WORDS = frozenset("ai")


class Normaliser:
    """Raw words in, normal words out, one at a time: number words are joined ("twenty five" is
    25), letters spelled out one by one are one word, and "you know" is dropped, so a few words
    wait for the next one."""

    def __init__(self) -> None:
        self._number: list[tuple[str, int, int]] = []
        self._letters: list[tuple[str, int, int]] = []
        self._between = ""  # what separates the letters waiting: "-" or "" (spaces)
        self._you: tuple[str, int, int] | None = None

    @property
    def waiting_from(self) -> int | None:
        """Where the first word still waiting starts (it must not be shown yet)."""
        starts = [waiting[0][1] for waiting in (self._number, self._letters) if waiting]
        if self._you is not None:
            starts.append(self._you[1])
        return min(starts, default=None)

    def push(self, raw: str, start: int, end: int, gap: str = " ") -> list[Word]:
        """The words `raw` completes; `gap` is the text between it and the word before."""
        word = _surface(raw)
        if len(word) == 1 and word.isalpha():
            return self._push_letter(word, start, end, gap.strip())
        out = self._release_letters()
        if word in _UNITS or word in _TENS or word in _SCALES:
            out += self._release_you()
            self._number.append((word, start, end))
            return out
        out += self._release_number()
        if self._you is not None:
            if word == "know":
                self._you = None
                return out
            out += self._release_you()
        if word == "you":
            self._you = (word, start, end)
        elif word not in _FILLERS:
            out.append(Word(_stem(word), word, start, end))
        return out

    def flush(self) -> list[Word]:
        return self._release_letters() + self._release_number() + self._release_you()

    def _push_letter(self, letter: str, start: int, end: int, between: str) -> list[Word]:
        """A letter joins the letters waiting when the same short thing separates them all:
        dashes, dots, commas, slashes or spaces ("P-R-E-G", "p, r, e, g"). Where it changes,
        a spelling ends ("... N-T. A baby") or starts after words of one letter ("Was I a
        P-R-E-G").

        `between` is what separates the letter from the one before, spaces stripped."""
        out = self._release_number() + self._release_you()
        if self._letters and (len(between) > 2 or any(char.isalnum() for char in between)):
            out += self._release_letters()
        elif len(self._letters) >= 2 and between != self._between:
            if self._between == "":  # spaces: "I" and "a" before the spelling are words
                while len(self._letters) > 1 and self._letters[0][0] in SINGLE_LETTER_WORDS:
                    word = self._letters.pop(0)
                    out.append(Word(word[0], *word))
            if len(self._letters) > 1:
                out += self._release_letters()
        if len(self._letters) == 1:
            self._between = between
        self._letters.append((letter, start, end))
        return out

    def _release_letters(self) -> list[Word]:
        letters, self._letters = self._letters, []
        if len(letters) >= SPELLED_OUT:
            spelled = "".join(letter for letter, _, _ in letters)
            return [Word(_stem(spelled), spelled, letters[0][1], letters[-1][2])]
        return [Word(letter, letter, start, end) for letter, start, end in letters]

    def _release_you(self) -> list[Word]:
        you, self._you = self._you, None
        return [Word("you", *you)] if you else []

    def _release_number(self) -> list[Word]:
        if not self._number:
            return []
        total = current = 0
        for word, _, _ in self._number:
            if word in _SCALES:
                if _SCALES[word] == 100:
                    current = max(current, 1) * 100
                else:
                    total, current = total + max(current, 1) * _SCALES[word], 0
            else:
                value = _UNITS.get(word, 0) + _TENS.get(word, 0)
                # "twenty nineteen" is 2019, "nineteen ninety five" 1995
                current = current * 100 + value if current % 100 >= 10 <= value else current + value
        digits = str(total + current)
        number = Word(digits, digits, self._number[0][1], self._number[-1][2])
        self._number = []
        return [number]


def words(text: str) -> list[Word]:
    """Every word of `text` in normal form."""
    normaliser = Normaliser()
    found: list[Word] = []
    last_end = 0
    for match in TOKEN.finditer(text):
        found += normaliser.push(match.group(), *match.span(), gap=text[last_end : match.start()])
        last_end = match.end()
    return found + normaliser.flush()


# A word with an apostrophe that is a contraction ("don't", "I'm", "we'll"); others are names
# ("D'Angelo", "O'Reilly"), which are distinctive. A possessive "'s" is gone already (`_surface`).
_CONTRACTION = re.compile(
    r"^(?:[a-z]+(?:n't|'re|'ve|'ll|'d|'m)(?:'ve)?|y'all|y'know|c'mon|d'you|o'clock|ma'am)$"
)


def word_weight(word: Word) -> float:
    """0 for a word that carries no content, else how much it gives away."""
    surface = word.surface
    if surface in _STOP or surface in _FILLERS or _CONTRACTION.match(surface):
        return 0.0
    if surface[0].isdecimal():
        return DISTINCTIVE if float(surface) >= 10 else COMMON
    return COMMON if _everyday(word.form) else DISTINCTIVE


COMMON_FORMS = frozenset(_stem(word) for word in COMMON_WORDS)


def _everyday(form: str) -> bool:
    """An everyday word, or one denied with "un-" ("unsure", "unhappy"): the guide's "unsure
    what to say or what happens here" is a nervous client's own first words."""
    return form in COMMON_FORMS or (form.startswith("un") and form[2:] in COMMON_FORMS)
