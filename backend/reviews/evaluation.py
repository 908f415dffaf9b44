"""How reviews are measured on real counseling: AnnoMI transcripts reviewed by the product's own
functions, its codes compared with the experts' and its counted score with the sessions' quality.

`benchmarks/eval_review.py` prints these figures for a file; `backend.reviews.train_coder` prints
them out of fold while it trains. The shown score is computed the way a stored review's is
(`review_rules.demo_review`, then `review_rules.indicators`), so the AUC is the product's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from backend.reviews.annomi import AnnomiTranscript, load_transcripts, previous_client_text
from backend.reviews.indicators import (
    COUNTED_SCORE_FAIR,
    COUNTED_SCORE_GOOD,
    count_indicators,
)
from backend.reviews.learned_coder import LearnedCoder, default_coder
from backend.reviews.offline_review import code_session
from backend.reviews.rubric_schema import NOT_CODED, RubricDefinition
from backend.reviews.rubrics import load_builtin_rubrics
from backend.reviews.turns import Turn

FOUR_CLASSES = ("question", "reflection", "therapist_input", "other")
# A turn's class is its first code's (the coder lists the main behaviour first); codes the data
# set files under therapist input or other by what they do.
_BY_KIND = {"question": "question", "reflection": "reflection", "input": "therapist_input"}
_BY_KEY = {
    "confront": "therapist_input",
    "affirm": "other",
    "emphasizing_autonomy": "other",
    "seeking_collaboration": "other",
}

load = load_transcripts


@lru_cache(maxsize=1)
def miti() -> RubricDefinition:
    return next(rubric for rubric in load_builtin_rubrics() if rubric.key == "miti")


def turns_of(transcript: AnnomiTranscript) -> list[Turn]:
    """The transcript as a review reads it: the counselor is the student ("user")."""
    return [
        Turn(number, "user" if utterance.speaker == "counselor" else "assistant", utterance.text)
        for number, utterance in enumerate(transcript.utterances, start=1)
    ]


def four_class(codes: Sequence[str], rubric: RubricDefinition) -> str:
    """The AnnoMI class of a turn's rubric codes (for comparing with the experts' main code)."""
    first = codes[0] if codes else NOT_CODED
    if first in _BY_KEY:
        return _BY_KEY[first]
    code = rubric.code(first)
    return _BY_KIND.get(code.kind, "other") if code else "other"


def offline_codes(
    transcript: AnnomiTranscript,
    rubric: RubricDefinition | None = None,
    *,
    coder: LearnedCoder | None = None,
) -> list[list[str]]:
    """Each counselor utterance's codes, in order, from the offline coder with its context."""
    session = code_session(turns_of(transcript), rubric or miti(), coder=coder)
    return [session.codes[number] for number in sorted(session.codes)]


def shown_score(codes_by_turn: Sequence[Sequence[str]], rubric: RubricDefinition) -> float | None:
    """The counted score a stored review shows for these codes."""
    codes = [code for turn_codes in codes_by_turn for code in turn_codes]
    return count_indicators(codes, rubric)["counted_score"]


# Figures ----------------------------------------------------------------------------------------
@dataclass
class Report:
    """Per-class precision, recall and F1, their macro average, and the confusion matrix."""

    classes: tuple[str, ...]
    precision: dict[str, float] = field(default_factory=dict)
    recall: dict[str, float] = field(default_factory=dict)
    f1: dict[str, float] = field(default_factory=dict)
    support: dict[str, int] = field(default_factory=dict)
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (true, predicted)

    @property
    def macro_f1(self) -> float:
        return sum(self.f1.values()) / len(self.classes)


def classification_report(
    labels: Sequence[str], predicted: Sequence[str], classes: tuple[str, ...] = FOUR_CLASSES
) -> Report:
    pairs = Counter(zip(labels, predicted, strict=True))
    report = Report(
        classes=classes, confusion={(t, p): pairs[(t, p)] for t in classes for p in classes}
    )
    for name in classes:
        hits = pairs[(name, name)]
        guessed = sum(pairs[(t, name)] for t in classes)
        actual = sum(pairs[(name, p)] for p in classes)
        precision = hits / guessed if guessed else 0.0
        recall = hits / actual if actual else 0.0
        report.precision[name], report.recall[name], report.support[name] = (
            precision,
            recall,
            actual,
        )
        total = precision + recall
        report.f1[name] = 2 * precision * recall / total if total else 0.0
    return report


def auc(scores: Sequence[float], positives: Sequence[bool]) -> float:
    """The area under the ROC curve: the chance that a positive outscores a negative (ties
    count half), i.e. the Mann-Whitney statistic."""
    pos = [s for s, p in zip(scores, positives, strict=True) if p]
    neg = [s for s, p in zip(scores, positives, strict=True) if not p]
    if not pos or not neg:
        raise ValueError("AUC needs both high- and low-quality transcripts.")
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


@dataclass
class Evaluation:
    report: Report
    auc: float
    scores: dict[int, float]  # transcript id -> shown score (missing: nothing coded)
    utterances: int
    transcripts: int
    high_quality: set[int] = field(default_factory=set)  # transcript ids


def learned_classes(transcript: AnnomiTranscript, coder: LearnedCoder | None = None) -> list[str]:
    """The offline coder's class of each counselor utterance: its learned layer's, in the data
    set's own taxonomy (the MITI rules on top change codes, not this class: AnnoMI's experts
    code "Have you tried patches?" as a question, MITI as Persuade)."""
    coder = coder or default_coder()
    pairs = [
        (utterance.text, previous_client_text(transcript, index))
        for index, utterance in enumerate(transcript.utterances)
        if utterance.speaker == "counselor"
    ]
    return [prediction.behaviour for prediction in coder.predict_many(pairs)]


def evaluate(
    transcripts: Sequence[AnnomiTranscript],
    codes_for: Callable[[AnnomiTranscript], list[list[str]]] | None = None,
    rubric: RubricDefinition | None = None,
    *,
    coder_for: Callable[[AnnomiTranscript], LearnedCoder] | None = None,
) -> Evaluation:
    """Code every counselor utterance and compare the classes with the experts', and the shown
    scores with the quality labels. By default the shipped offline coder (`coder_for` gives
    another per transcript, as cross-validation does); `codes_for` replaces it with other codes
    (the model's), whose classes are then read from the codes. A transcript with nothing coded
    scores 50 (the formula's middle: no evidence either way)."""
    rubric = rubric or miti()
    labels: list[str] = []
    predicted: list[str] = []
    scores: dict[int, float] = {}
    for transcript in transcripts:
        if codes_for is None:
            coder = coder_for(transcript) if coder_for else None
            coded = offline_codes(transcript, rubric, coder=coder)
            predicted += learned_classes(transcript, coder)
        else:
            coded = codes_for(transcript)
            predicted += [four_class(codes, rubric) for codes in coded]
        labels += [
            u.behaviour or "other" for u in transcript.utterances if u.speaker == "counselor"
        ]
        value = shown_score(coded, rubric)
        scores[transcript.transcript_id] = 50.0 if value is None else value
    quality = [t.high_quality for t in transcripts]
    return Evaluation(
        report=classification_report(labels, predicted),
        auc=auc([scores[t.transcript_id] for t in transcripts], quality),
        scores=scores,
        utterances=len(labels),
        transcripts=len(transcripts),
        high_quality={t.transcript_id for t in transcripts if t.high_quality},
    )


def _share(values: list[float], threshold: float) -> str:
    return f"{sum(v >= threshold for v in values) / len(values):.0%}" if values else "-"


def print_evaluation(evaluation: Evaluation, title: str) -> None:
    """The lines the issue asks for, then per-class figures and the confusion matrix."""
    report = evaluation.report
    print(
        f"\n{title}: {evaluation.transcripts} transcripts, {evaluation.utterances} counselor utterances"
    )
    print(f"macro-F1 {report.macro_f1:.3f}            (4 classes, counselor utterances)")
    print(
        f"AUC {evaluation.auc:.3f}                 (shown score vs. the file's high/low quality labels)"
    )
    print(f"\n{'class':<17}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}")
    for name in report.classes:
        print(
            f"{name:<17}{report.precision[name]:>10.3f}{report.recall[name]:>8.3f}"
            f"{report.f1[name]:>7.3f}{report.support[name]:>9}"
        )
    high = [evaluation.scores[t] for t in evaluation.scores if t in evaluation.high_quality]
    low = [evaluation.scores[t] for t in evaluation.scores if t not in evaluation.high_quality]
    for name, threshold in (("fair", COUNTED_SCORE_FAIR), ("good", COUNTED_SCORE_GOOD)):
        print(
            f"counted score {name} ({threshold:.0f}) reached by "
            f"{_share(high, threshold)} of high- and {_share(low, threshold)} of low-quality sessions"
        )
    print("\nconfusion (rows: experts' code, columns: coder's)")
    print(" " * 17 + "".join(f"{name[:10]:>11}" for name in report.classes))
    for true in report.classes:
        row = "".join(f"{report.confusion[(true, p)]:>11}" for p in report.classes)
        print(f"{true:<17}{row}")
