"""How far the automatic review can be trusted: the model's first scores against the teacher's.

Per rubric and criterion, over every model review a teacher saved a version of (automatic demo
reviews are left out): how many pairs, exact agreement, agreement within one point, the mean
absolute difference, and quadratic-weighted Cohen's kappa once there are `KAPPA_MIN_PAIRS` pairs
(computed here from its definition; a test checks it against scikit-learn's, a dev dependency).
Teachers see their sections' reviews; admins see all.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import access
from backend.actor import UserRead
from backend.models import (
    Assignment,
    PracticeSession,
    Rubric,
    RubricVersion,
    SessionReview,
)
from backend.models.review import ReviewSource, ReviewStatus
from backend.reviews.rubric_schema import SCORE_MAX, SCORE_MIN
from backend.reviews.rubrics import criterion_key

KAPPA_MIN_PAIRS = 10


class CriterionAgreement(BaseModel):
    rubric_id: int
    rubric: str
    criterion: str  # the criterion's key
    criterion_name: str
    pairs: int
    exact: float  # share of pairs with the same score
    within_one: float  # share of pairs at most one point apart
    mean_abs_diff: float
    kappa: float | None  # quadratic-weighted; None below KAPPA_MIN_PAIRS pairs or undefined


def agreement(db: Session, *, actor: UserRead | None) -> list[CriterionAgreement]:
    """One row per rubric and criterion with at least one pair, by rubric and criterion name."""
    teacher = access.require(db, actor, "teaching", "use")
    query = (
        select(
            SessionReview.content,
            SessionReview.teacher_content,
            Rubric.id,
            Rubric.name,
            RubricVersion.definition,
        )
        .join(RubricVersion, RubricVersion.id == SessionReview.rubric_version_id)
        .join(Rubric, Rubric.id == RubricVersion.rubric_id)
        .where(
            SessionReview.status == ReviewStatus.ready,
            SessionReview.source == ReviewSource.model,
            SessionReview.teacher_content.is_not(None),
        )
        .order_by(SessionReview.id)
    )
    if not teacher.is_admin:  # the reviews of the sections they teach, in versions they saved
        query = (
            query.join(PracticeSession, PracticeSession.id == SessionReview.session_id)
            .join(Assignment, Assignment.id == PracticeSession.assignment_id)
            .where(
                access.where(teacher, "review", "edit"),
                SessionReview.reviewed_by_id == teacher.id,  # an admin's version is not theirs
            )
        )
    pairs: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    names: dict[tuple[int, str], tuple[str, str]] = {}
    for content, teacher_content, rubric_id, rubric_name, definition in db.execute(query).all():
        if not content or not teacher_content:
            continue
        criterion_names = {c["key"]: c["name"] for c in definition.get("criteria", [])}
        final = {item["criterion"]: item["score"] for item in teacher_content.get("scores", [])}
        for item in content.get("scores", []):
            key = item["criterion"]
            if key in final:
                # By name, as class progress has it: a criterion a teacher's copy rewrote is
                # not the one it replaced (an attack, 2026-12-07).
                name = criterion_names.get(key, key)
                row = (rubric_id, criterion_key(name))
                pairs[row].append((int(item["score"]), int(final[key])))
                names[row] = (rubric_name, name)
    rows = [
        figures(rubric_id, key, *names[(rubric_id, key)], scored)
        for (rubric_id, key), scored in pairs.items()
    ]
    return sorted(rows, key=lambda row: (row.rubric, row.rubric_id, row.criterion_name))


def figures(
    rubric_id: int, key: str, rubric: str, name: str, scored: list[tuple[int, int]]
) -> CriterionAgreement:
    """The agreement figures of one criterion's (model, teacher) score pairs."""
    diffs = [abs(model - teacher) for model, teacher in scored]
    return CriterionAgreement(
        rubric_id=rubric_id,
        rubric=rubric,
        criterion=key,
        criterion_name=name,
        pairs=len(scored),
        exact=sum(d == 0 for d in diffs) / len(diffs),
        within_one=sum(d <= 1 for d in diffs) / len(diffs),
        mean_abs_diff=sum(diffs) / len(diffs),
        kappa=weighted_kappa(scored) if len(scored) >= KAPPA_MIN_PAIRS else None,
    )


def weighted_kappa(scored: list[tuple[int, int]]) -> float | None:
    """Quadratic-weighted Cohen's kappa on the rubric's 1-5 scale (None when undefined, say
    when both raters gave one score throughout): 1 - sum(w * observed) / sum(w * expected),
    with w = (i - j)^2 and expected from the two raters' marginals."""
    if not scored:
        return None
    size = SCORE_MAX - SCORE_MIN + 1
    pairs = np.asarray(scored) - SCORE_MIN
    observed = np.zeros((size, size))
    np.add.at(observed, (pairs[:, 0], pairs[:, 1]), 1)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / len(scored)
    weights = np.subtract.outer(np.arange(size), np.arange(size)) ** 2
    chance = float((weights * expected).sum())
    return None if chance == 0 else 1 - float((weights * observed).sum()) / chance
