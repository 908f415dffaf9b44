"""Display helpers: counts with the right plural, the budget's wait in hours."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from backend.jobs.read_models import JobRead
from backend.models.enums import JobStatus
from backend.utils.formatting import format_usd, plural


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 reviewed sessions"), (1, "1 reviewed session"), (2, "2 reviewed sessions")],
)
def test_plural_counts(count, expected):
    assert plural(count, "reviewed session") == expected


def test_plural_with_its_own_plural_form_and_thousands():
    assert plural(1, "reply", "replies") == "1 reply"
    assert plural(1200, "reply", "replies") == "1,200 replies"


def test_the_budget_message_says_hours_then_minutes(monkeypatch):
    from backend.usage import budget_service

    for seconds, said in (
        (3 * 3600, "in about 3 hours"),
        (150 * 60, "in about 3 hours"),  # a half up
        (100 * 60, "in about 2 hours"),
        (3000, "in about 50 minutes"),
        (23 * 60, "in about 25 minutes"),
        (10 * 60, "in about 10 minutes"),
        (59, "in about 1 minute"),
    ):
        monkeypatch.setattr(budget_service, "seconds_until_utc_midnight", lambda s=seconds: s)
        assert budget_service.until_reset() == said, seconds


def _job(progress: str | None, status: str = "running") -> JobRead:
    now = datetime.now(UTC)
    return JobRead(
        id=1,
        kind="review",
        subject=1,
        owner_id=1,
        status=JobStatus(status),
        progress=progress,
        created_at=now,
    )


def test_the_review_steps_show_the_one_under_way():
    from mvp.review_view import STEPS, step_lines

    lines = step_lines(_job(STEPS[1]))
    assert lines[0].startswith(":material/check:")
    assert lines[1].startswith(":material/progress_activity:") and "under way" in lines[1]
    assert all(line.startswith(":material/pending:") for line in lines[2:])
    assert step_lines(_job(STEPS[-1], "done"))[-1].startswith(":material/check:")


def test_a_review_waiting_for_its_batch_shows_scoring_under_way_with_the_batch_progress():
    from backend.reviews.review_batches import BATCH_STEP
    from mvp.review_view import step_lines

    lines = step_lines(_job(f"{BATCH_STEP}: 0 of 1 done"))
    assert lines[0].startswith(":material/check:")
    assert lines[1].startswith(":material/progress_activity:")
    assert "batch, usually minutes" in lines[1] and "0 of 1 done" in lines[1]


def test_a_share_never_rounds_into_all_or_nothing():
    from backend.utils.formatting import format_share

    assert [format_share(x) for x in (0, 0.004, 0.005, 0.5, 0.994, 0.995, 199 / 200, 1)] == [
        "0%",
        "<1%",
        "1%",
        "50%",
        "99%",
        ">99%",
        ">99%",
        "100%",
    ]


def test_a_share_of_ratings_never_rounds_into_all_or_none():
    """The admin's "Positive feedback" and a client card's feedback showed 199 of 200 as
    "100%" and 1 of 1,000 as "0%". (An attack, 2026-12-07.)"""
    from backend.practice.rating_service import RatingShare

    shown = [RatingShare("x", positive, total).shown for positive, total in ((199, 200), (1, 1000))]
    assert shown == [">99%", "<1%"]
    assert RatingShare("x", 3, 4).shown == "75%" and RatingShare("x", 0, 0).shown == "—"


def test_dollars_that_round_up_to_the_next_unit_are_shown_in_it():
    """$0.99996 read "$1.0000" and $0.0099999 "$0.010000": the digits were chosen before
    rounding. (An attack, 2026-12-07.)"""
    assert format_usd(Decimal("0.99996")) == "$1.00"
    assert format_usd(Decimal("0.0099999")) == "$0.0100"
    assert format_usd(Decimal("-0.99996")) == "$-1.00"
    assert format_usd(Decimal("0.99994")) == "$0.9999"
    assert format_usd(Decimal("1e24")) == "$1000000000000000000000000.00"  # no InvalidOperation
    assert format_usd(Decimal("0.000123456")) == "$0.000123"
    assert format_usd(Decimal("12.345")) == "$12.35"
