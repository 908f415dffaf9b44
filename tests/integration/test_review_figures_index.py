"""(An attack, 2026-12-06.) The admin figures read each period as "a range read of an index that carries what the
aggregates read" (`metrics_service._per_period`; `review_costs`: "in one read of its index on
`created_at` (which carries the source and the cost)"). 71822c3 made the review count filter on
`status` too, which `ix_session_reviews_created_at` (created_at, source, cost) does not carry:
every review row of the last 30 days is now read from the table as well, on each admin page load
(an attack; the index was not widened)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.monitoring import metrics_service


def _plan(db, kind: str) -> str:
    statement = metrics_service._period_statement(kind, (True,))
    compiled = statement.compile(dialect=db.get_bind().dialect)
    start = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    values = compiled.construct_params({"start_0": start, "now": start})
    ordered = tuple(
        str(value) if hasattr(value, "value") else value
        for value in (values[name] for name in compiled.positiontup)
    )
    rows = db.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", ordered).all()
    return "\n".join(str(row[-1]) for row in rows)


def test_the_review_figures_read_only_their_index(db):
    plan = _plan(db, "reviews")
    assert "COVERING INDEX ix_session_reviews_created_at" in plan, plan
