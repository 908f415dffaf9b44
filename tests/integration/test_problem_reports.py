"""Problem reports reach the admins, and one account cannot bury them: "Report a problem" had no
limit, so a script in a tampered page could send thousands of 4,000-character reports and the
admins' tab, newest first, showed only theirs. (An attack, 2026-12-07.)"""

import pytest

from backend.errors import RateLimitedError
from backend.models.enums import Role
from backend.monitoring import problem_report_service
from tests.factories import make_classroom, make_user


def test_one_account_sending_report_after_report_is_asked_to_wait(db):
    room = make_classroom(db)
    admin = make_user(db, role=Role.admin)
    for number in range(5):  # a person with a real problem, reporting it again and again
        problem_report_service.report_problem(
            db, actor=room.student, text=f"The page froze ({number}).", page="Practice"
        )
    with pytest.raises(RateLimitedError, match="wait") as refused:
        problem_report_service.report_problem(
            db, actor=room.student, text="spam " + "x" * 3900, page="Practice"
        )
    assert refused.value.retry_after_seconds > 0
    problem_report_service.report_problem(  # another person is not held up by it
        db, actor=room.teacher, text="The client list is empty.", page="Clients"
    )
    shown = problem_report_service.list_reports(db, actor=admin, limit=100)
    assert len(shown) == 6 and not [report for report in shown if report.text.startswith("spam")]


def test_a_report_reaches_the_admins_while_redis_is_down(db, configure):
    """With Redis down messages are refused, and the first per-account limit, counted in Redis,
    refused the report about it too. (An attack on the limit, 2026-12-07.)"""
    configure(redis_url="redis://127.0.0.1:1/0")  # nothing listens there
    room = make_classroom(db)
    admin = make_user(db, role=Role.admin)
    problem_report_service.report_problem(
        db, actor=room.student, text="I can't send any message: it says wait.", page="Practice"
    )
    shown = problem_report_service.list_reports(db, actor=admin, limit=100)
    assert [report.text for report in shown] == ["I can't send any message: it says wait."]
