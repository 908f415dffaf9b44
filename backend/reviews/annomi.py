"""Read the AnnoMI data set (expert-coded motivational-interviewing transcripts) into plain objects.

AnnoMI: Wu et al., "Anno-MI: A Dataset of Expert-Annotated Counselling Dialogues", ICASSP 2022;
extended in Future Internet 15(3):110, 2023. One CSV row is one utterance as coded by one annotator.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REQUIRED_COLUMNS = (
    "transcript_id",
    "mi_quality",
    "utterance_id",
    "interlocutor",
    "utterance_text",
    "main_therapist_behaviour",
    "reflection_exists",
    "question_exists",
    "therapist_input_exists",
    "reflection_subtype",
    "question_subtype",
    "therapist_input_subtype",
    "client_talk_type",
)
BEHAVIOURS = ("question", "reflection", "therapist_input", "other")


@dataclass(frozen=True)
class AnnomiUtterance:
    """One turn; the counselor codes are None/False on client turns and vice versa."""

    utterance_id: int
    speaker: str  # "counselor" | "client"
    text: str
    behaviour: str | None  # one of BEHAVIOURS on counselor turns
    reflection_exists: bool
    question_exists: bool
    input_exists: bool
    reflection_subtype: str | None  # "simple" | "complex"
    question_subtype: str | None  # "open" | "closed"
    input_subtype: str | None  # "information" | "advice" | "options" | "negotiation"
    client_talk: str | None  # "change" | "sustain" | "neutral" on client turns


@dataclass(frozen=True)
class AnnomiTranscript:
    transcript_id: int
    high_quality: bool
    utterances: tuple[AnnomiUtterance, ...]  # in utterance_id order


def load_transcripts(path: Path | str) -> list[AnnomiTranscript]:
    """Every transcript of an AnnoMI CSV, in transcript_id order, with one code per utterance.

    A few utterances were coded by several annotators (one row each). We keep the majority code
    (main_therapist_behaviour for counselor turns, client_talk_type for client turns); a tie goes
    to the code whose first row comes first in the file. All other columns come from the first row
    carrying that code, so an utterance's codes always come from one annotator and agree.
    """
    rows_by_utterance: dict[tuple[int, int], list[dict[str, str]]] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        _check_columns(path, reader.fieldnames or [])
        for row in reader:
            key = (int(row["transcript_id"]), int(row["utterance_id"]))
            rows_by_utterance.setdefault(key, []).append(row)

    utterances: dict[int, list[AnnomiUtterance]] = {}
    quality: dict[int, bool] = {}
    for (transcript_id, _), rows in sorted(rows_by_utterance.items()):
        row = _majority_row(rows)
        quality.setdefault(transcript_id, row["mi_quality"].strip().lower() == "high")
        utterances.setdefault(transcript_id, []).append(_utterance(row))
    return [
        AnnomiTranscript(transcript_id, quality[transcript_id], tuple(turns))
        for transcript_id, turns in utterances.items()
    ]


def previous_client_text(transcript: AnnomiTranscript, index: int) -> str:
    """The nearest client turn before utterance `index` ("" at the start): the counselor's context."""
    return _previous_text(transcript, index, "client")


def previous_counselor_text(transcript: AnnomiTranscript, index: int) -> str:
    """The nearest counselor turn before utterance `index`: the context of a client turn."""
    return _previous_text(transcript, index, "counselor")


def _previous_text(transcript: AnnomiTranscript, index: int, speaker: str) -> str:
    for earlier in reversed(transcript.utterances[:index]):
        if earlier.speaker == speaker:
            return earlier.text
    return ""


def _check_columns(path: Path | str, found: Sequence[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in found]
    if missing:
        raise ValueError(
            f"{path} is not an AnnoMI CSV: it lacks the column(s) {', '.join(missing)}. "
            f"Expected a header with at least: {', '.join(REQUIRED_COLUMNS)}."
        )


def _majority_row(rows: list[dict[str, str]]) -> dict[str, str]:
    """The first row with the most common code (Counter keeps first-seen order among ties)."""
    column = (
        "client_talk_type" if rows[0]["interlocutor"] == "client" else "main_therapist_behaviour"
    )
    winner, _ = Counter(row[column] for row in rows).most_common(1)[0]
    return next(row for row in rows if row[column] == winner)


def _utterance(row: dict[str, str]) -> AnnomiUtterance:
    is_client = row["interlocutor"].strip().lower() == "client"
    return AnnomiUtterance(
        utterance_id=int(row["utterance_id"]),
        speaker="client" if is_client else "counselor",
        text=row["utterance_text"],
        behaviour=None if is_client else _code(row["main_therapist_behaviour"]),
        reflection_exists=_flag(row["reflection_exists"]),
        question_exists=_flag(row["question_exists"]),
        input_exists=_flag(row["therapist_input_exists"]),
        reflection_subtype=_code(row["reflection_subtype"]),
        question_subtype=_code(row["question_subtype"]),
        input_subtype=_code(row["therapist_input_subtype"]),
        client_talk=_code(row["client_talk_type"]) if is_client else None,
    )


def _flag(value: str) -> bool:
    return value.strip().lower() == "true"


def _code(value: str) -> str | None:
    value = value.strip().lower()
    return None if value in ("", "n/a", "nan") else value
