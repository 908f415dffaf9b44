"""What is counted from a review's codes, never by a model: MITI's ratios and totals, and the
counted score the student sees.

The counted score is the one figure a review shows that was validated on real counseling: on the
AnnoMI training split (README, "Reviews") it separates the expert-labelled high- from low-quality
sessions. In one sentence, as the page says it: *50, plus 50 times (reflections minus information
and advice minus persuading or confronting minus a fifth of every question beyond five for each
reflection) divided by all coded utterances, kept between 0 and 100*; advice without permission
counts against the score twice (it is input and non-adherent). The questions' part touches only an
interview of questions with hardly a reflection (a checklist had sat at 50, "fair"): no AnnoMI
session long enough for a verdict asks more than five questions for each reflection.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.reviews.rubric_schema import NOT_CODED, SCORE_MAX, RubricDefinition
from backend.reviews.turns import Turn

SCORE_FORMULA = (
    "Counted score = 50 + 50 × (reflections − information and advice − persuading or "
    "confronting − a fifth of each question beyond five for each reflection) ÷ all coded "
    "utterances, kept between 0 and 100."
)
# Up to this many questions for each reflection weigh nothing in the counted score.
QUESTIONS_PER_REFLECTION = 5
# Below this many student turns a review shows counts only: no fair/good verdicts, no global
# ratings, and the session stays out of class averages and "below fair" lists. MITI's thresholds
# are for 20-minute segments (about 40 counselor utterances); 10 turns is our floor for a short
# practice, where a single turn still moves every ratio by 10% or more.
MIN_TURNS_FOR_VERDICTS = 10
# Our own thresholds, from the AnnoMI training split (README, "Reviews"): "fair" is where most
# high-quality sessions sit and few low-quality ones reach; "good" is the high-quality median.
COUNTED_SCORE_FAIR, COUNTED_SCORE_GOOD = 50.0, 60.0
COUNTED_SCORE_SOURCE = (
    "Our own thresholds, set on the AnnoMI training split (expert-labelled high- and "
    "low-quality motivational interviewing): see the README's review section."
)


def count_indicators(codes: list[str], rubric: RubricDefinition) -> dict[str, float | None]:
    """The rubric's ratios (R:Q, % complex reflections, % open questions), MITI 4.2.1's totals
    (MI-adherent, MI-non-adherent), the counts behind them and the counted score.

    `codes` is every code of every student turn (a turn that reflects, then asks, gives two);
    `NOT_CODED` is counted apart and left out of everything else. None where a denominator is
    zero or the rubric cannot tell. Raises ValueError for a code the rubric does not have."""
    by_key = {code.key: code for code in rubric.codes}
    unknown = sorted({code for code in codes if code not in by_key and code != NOT_CODED})
    if unknown:
        raise ValueError(f"codes not in rubric {rubric.key!r}: {', '.join(unknown)}")
    coded = [by_key[code] for code in codes if code != NOT_CODED]
    questions = sum(1 for code in coded if code.kind == "question")
    reflections = sum(1 for code in coded if code.kind == "reflection")
    inputs = sum(1 for code in coded if code.kind == "input")
    complex_ = sum(1 for code in coded if code.complex)
    opens = sum(1 for code in coded if code.key == "open_question")
    adherent = sum(1 for code in coded if code.adherence == "adherent")
    non_adherent = sum(1 for code in coded if code.adherence == "non_adherent")
    rates = {kind for code in rubric.codes if (kind := code.adherence)}  # what it can tell
    return {
        "reflection_to_question": reflections / questions if questions else None,
        "percent_complex_reflections": (
            complex_ / reflections
            if reflections and any(code.complex for code in rubric.codes)
            else None
        ),
        "percent_open_questions": (
            opens / questions if questions and "open_question" in by_key else None
        ),
        "mi_adherent": adherent if "adherent" in rates else None,
        "mi_non_adherent": non_adherent if "non_adherent" in rates else None,
        "counted_score": counted_score(reflections, inputs, non_adherent, questions, len(coded)),
        "reflections": reflections,
        "questions": questions,
        "inputs": inputs,
        "coded_utterances": len(coded),
        "not_coded": len(codes) - len(coded),
    }


def counted_score(
    reflections: int, inputs: int, non_adherent: int, questions: int, coded: int
) -> float | None:
    """The `SCORE_FORMULA` (None with nothing coded)."""
    if not coded:
        return None
    # Questions beyond five for each reflection, in fifths (reflections' worth).
    beyond = max(0.0, questions / QUESTIONS_PER_REFLECTION - reflections)
    value = 50 + 50 * (reflections - inputs - non_adherent - beyond) / coded
    return max(0.0, min(100.0, value))


def enough_evidence(student_turns: int) -> bool:
    """Whether a session is long enough for verdicts and global ratings."""
    return student_turns >= MIN_TURNS_FOR_VERDICTS


def session_indicators(
    turns: Sequence[Turn],
    codes: list[str],
    rubric: RubricDefinition,
    *,
    offline_score: float | None = None,
) -> dict[str, float | bool | None]:
    """What a stored review keeps beside its content: the counts of `codes` (the shown
    version's), the talk share, the number of turns, whether there is enough evidence for
    verdicts, and (for a model's review) the offline coder's counted score to compare with."""
    values: dict[str, float | bool | None] = dict(count_indicators(codes, rubric))
    student_turns = sum(1 for turn in turns if turn.student)
    student_words = sum(len(turn.text.split()) for turn in turns if turn.student)
    all_words = sum(len(turn.text.split()) for turn in turns)
    values["student_talk_share"] = student_words / all_words if all_words else None
    values["student_turns"] = student_turns
    values["turns"] = len(turns)
    values["enough_evidence"] = enough_evidence(student_turns)
    if offline_score is not None:
        values["offline_counted_score"] = offline_score
    return values


# Model and offline codes may disagree this much (counted-score points) before the teacher is told.
DISAGREEMENT_MARGIN = 20.0


def disagreement(values: dict) -> tuple[float, float] | None:
    """(model's counted score, offline coder's) when they differ by more than the margin."""
    model, offline = values.get("counted_score"), values.get("offline_counted_score")
    if not isinstance(model, int | float) or not isinstance(offline, int | float):
        return None
    return (float(model), float(offline)) if abs(model - offline) > DISAGREEMENT_MARGIN else None


def implausible_top_scores(scores: Sequence[int], values: dict) -> bool:
    """Every criterion at the top of the scale on a session too short for verdicts, or whose
    offline counts are below fair: worth a teacher's look (a forged or coaxed review reads so)."""
    if not scores or any(score != SCORE_MAX for score in scores):
        return False
    offline = values.get("offline_counted_score")
    below = isinstance(offline, int | float) and offline < COUNTED_SCORE_FAIR
    return values.get("enough_evidence") is False or below
