"""Practice: a student mid-conversation when their teacher unpublishes the assignment (or archives
the client, or removes them from the section). The conversation so far stays readable, with a
way on: end the session (the panel had replaced the whole transcript with "This client is not
assigned to you (or its assignment is no longer published).")."""

from __future__ import annotations

from backend.classes import assignment_service
from backend.db import unit_of_work
from tests.apps.helpers import assert_clean, classroom, everything, log_in, start_button


def shown_messages(at) -> list[str]:
    return [message.markdown[0].value for message in at.chat_message if message.markdown]


def test_the_transcript_stays_on_screen_after_the_assignment_is_unpublished(app, app_db):
    student, alex, section = classroom(app_db)
    at = log_in(app.run(), "sam.student")
    start_button(at).click().run()
    at.chat_input(key="chat_input").set_value("Hi, what brings you in today?").run()
    assert_clean(at)
    before = shown_messages(at)
    assert "Hi, what brings you in today?" in before and len(before) == 2

    with unit_of_work(app_db) as db:  # the teacher unpublishes "Week 1" meanwhile
        from backend.actor import UserRead
        from backend.models import User

        teacher = UserRead.model_validate(db.get(User, alex.owner_id))
        (week1,) = [
            a
            for a in assignment_service.list_assignments(db, actor=teacher, section_id=section.id)
            if a.title == "Week 1"
        ]
        assignment_service.set_published(db, actor=teacher, assignment_id=week1.id, published=False)

    at.chat_input(key="chat_input").set_value("Tell me more about that.").run()
    assert_clean(at)
    assert "no longer published" in everything(at)  # the refusal is shown...
    assert shown_messages(at)[:2] == before, f"messages on screen: {shown_messages(at)}"
    assert "Not sent: Tell me more about that" in everything(at)  # the words, to copy
    at.button(key="end_session").click().run()
    at.button(key="confirm_end").click().run()
    assert_clean(at)
    assert "Your review" in everything(at)
