"""A counted figure as the review shows it agrees with its own badge: never rounded onto a
threshold it did not reach ("Counted score: 60 [fair] (fair 50, good 60)" for 59.52)."""

import pytest

from backend.reviews.rubric_schema import Indicator
from mvp.review_indicators import COUNTED_SCORE, shown_value

OPEN_QUESTIONS = Indicator(
    key="percent_open_questions", name="Open questions", fair=0.5, good=0.7, source=""
)
REFLECTIONS_PER_QUESTION = Indicator(
    key="reflection_to_question", name="Reflections per question", fair=1.0, good=2.0, source=""
)


@pytest.mark.parametrize(
    ("indicator", "value", "shown"),
    [
        (COUNTED_SCORE, 50 + 50 * 4 / 21, "59.5"),  # 59.52: fair, below good 60
        (COUNTED_SCORE, 59.96, "59.9"),
        (COUNTED_SCORE, 60.4, "60"),  # good, and shown so
        (COUNTED_SCORE, 72.6, "73"),  # nowhere near a threshold: as before
        (OPEN_QUESTIONS, 0.698, "69.8%"),
        (OPEN_QUESTIONS, 0.62, "62%"),
        (REFLECTIONS_PER_QUESTION, 1.996, "1.996"),
        (REFLECTIONS_PER_QUESTION, 1.5, "1.50"),
    ],
)
def test_a_figure_is_never_rounded_onto_a_threshold_it_did_not_reach(indicator, value, shown):
    assert shown_value(indicator, value) == shown
