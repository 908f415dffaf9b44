"""`backend.db.insert_if_missing`: one INSERT ... ON CONFLICT DO NOTHING on both backends, which
the memory's first row and the dashboard's kept hours rely on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.db import insert_if_missing
from backend.models import RatingTally
from backend.models.enums import Role
from tests.factories import make_client, make_user

pytestmark = pytest.mark.both_backends


def test_a_row_already_there_is_left_as_it_is_and_a_new_one_is_added(db):
    teacher = make_user(db, role=Role.teacher)
    first, second = (make_client(db, teacher=teacher, name=n) for n in ("Ann Lee", "Bo Park"))
    insert_if_missing(
        db, RatingTally, {"client_id": first.id, "positive": 3, "total": 4}, "client_id"
    )
    insert_if_missing(
        db,
        RatingTally,
        [
            {"client_id": first.id, "positive": 0, "total": 0},
            {"client_id": second.id, "positive": 1, "total": 1},
        ],
        "client_id",
    )
    rows = db.execute(
        select(RatingTally.client_id, RatingTally.positive, RatingTally.total).order_by(
            RatingTally.client_id
        )
    ).all()
    assert [tuple(row) for row in rows] == [(first.id, 3, 4), (second.id, 1, 1)]


def test_rows_with_different_columns_are_refused_not_cut_down(db):
    teacher = make_user(db, role=Role.teacher)
    client = make_client(db, teacher=teacher)
    with pytest.raises(ValueError, match="same columns"):
        insert_if_missing(
            db,
            RatingTally,
            [{"client_id": client.id}, {"client_id": client.id + 1, "positive": 1}],
            "client_id",
        )
