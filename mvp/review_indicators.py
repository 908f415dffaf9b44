"""A ready review's counted figures, each against its fair and good thresholds (a part of
review_render.py's review)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import streamlit as st

from backend.reviews import indicators as counted
from backend.reviews.read_models import ReviewRead
from backend.reviews.rubric_schema import Indicator, RubricDefinition
from backend.utils.formatting import format_share, plural
from mvp import ui

safe = ui.safe_markdown  # every piece of text a person (or the model) wrote goes through it

PERCENT_INDICATORS = {
    "percent_complex_reflections",
    "percent_open_questions",
    "student_talk_share",
}


EXTRA_INDICATORS = {  # counted for every rubric; no thresholds
    "mi_adherent": "MI-adherent (MITI 4.2.1: seek collaboration + affirm + emphasize autonomy)",
    "mi_non_adherent": "MI-non-adherent (MITI 4.2.1: persuade without permission + confront)",
    "not_coded": "Not coded (greetings, backchannels, fragments)",
    "student_talk_share": "Your share of the words spoken",
    "student_turns": "Your turns",
    "turns": "Turns in the conversation",
}


def _value(key: str, value: float) -> str:
    if key in PERCENT_INDICATORS:
        return format_share(value)
    if key == "counted_score":
        return f"{value:.0f}"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}"


def shown_value(indicator: Indicator, value: float) -> str:
    """The figure as shown beside its badge. Where rounding would land it on a threshold it did
    not reach (59.52 as "60", with "good 60" and a fair badge), one more decimal, cut toward
    the badge's side: "59.5"."""
    text = _value(indicator.key, value)
    short_of = [
        limit
        for limit in (indicator.fair, indicator.good)
        if (value < limit if indicator.higher_is_better else value > limit)
    ]
    if not any(text == _value(indicator.key, limit) for limit in short_of):
        return text
    percent = indicator.key in PERCENT_INDICATORS
    places = 3 if not percent and indicator.key != "counted_score" else 1
    cut = Decimal(repr(value * 100 if percent else value)).quantize(
        Decimal(1).scaleb(-places),
        rounding=ROUND_FLOOR if indicator.higher_is_better else ROUND_CEILING,
    )
    return f"{cut}%" if percent else str(cut)


def _basis(key: str, counts: dict) -> str:
    """How many codes a ratio rests on ("of 1 question; "): a verdict from one question reads
    like one from twenty otherwise."""
    reflections, questions = counts.get("reflections"), counts.get("questions")
    if not isinstance(reflections, int) or not isinstance(questions, int):
        return ""  # a review stored before the counts were kept
    return {
        "reflection_to_question": f"{plural(reflections, 'reflection')} to "
        f"{plural(questions, 'question')}; ",
        "percent_open_questions": f"of {plural(questions, 'question')}; ",
        "percent_complex_reflections": f"of {plural(reflections, 'reflection')}; ",
    }.get(key, "")


def _standing(indicator: Indicator, value: float) -> str:
    def beyond(limit: float) -> bool:
        return value >= limit if indicator.higher_is_better else value <= limit

    if beyond(indicator.good):
        return ":green-badge[good]"
    return ":orange-badge[fair]" if beyond(indicator.fair) else ":red-badge[below fair]"


COUNTED_SCORE = Indicator(
    key="counted_score",
    name="Counted score (reflecting vs. telling, 0-100)",
    fair=counted.COUNTED_SCORE_FAIR,
    good=counted.COUNTED_SCORE_GOOD,
    source=counted.COUNTED_SCORE_SOURCE,
)


def counted_indicators(
    review: ReviewRead, rubric: RubricDefinition | None, *, verdicts: bool
) -> None:
    """The counted figures, each against its fair and good thresholds (verdicts only with
    enough evidence), and where each threshold comes from."""
    st.markdown("##### Counted from your turns")
    lines, sources = [], []
    for indicator in [COUNTED_SCORE, *(rubric.indicators if rubric else [])]:
        value = review.indicators.get(indicator.key)
        if indicator.key not in review.indicators:
            continue  # scored, not counted (say MITI's relational average)
        fair, good = _value(indicator.key, indicator.fair), _value(indicator.key, indicator.good)
        shown = "—" if value is None else f"**{shown_value(indicator, value)}**"
        standing = "" if value is None or not verdicts else f" {_standing(indicator, value)}"
        basis = _basis(indicator.key, review.indicators)
        lines.append(
            f"- {safe(indicator.name)}: {shown}{standing} ({basis}fair {fair}, good {good})"
        )
        if indicator.source and indicator.source not in sources:
            sources.append(indicator.source)
    for key, name in EXTRA_INDICATORS.items():
        value = review.indicators.get(key)
        if value is not None:
            lines.append(f"- {name}: **{_value(key, value)}**")
    st.markdown("\n".join(lines) if lines else "Nothing to count yet.")
    if "counted_score" in review.indicators:
        st.caption(counted.SCORE_FORMULA)
    for source in sources:
        st.caption(f"Thresholds: {safe(source)}")
