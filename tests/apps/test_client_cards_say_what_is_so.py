"""What a teacher sees of a client they edit, archive, test or assign is what is so: archiving
says it stops open conversations, a test chat says when the client was edited since it began,
two clients of one name are told apart, and Edit on another card does not drop what was typed.
(An attack on the teacher's client profiles, 2026-12-07.)"""

from __future__ import annotations

from backend.actor import UserRead
from backend.db import Database, unit_of_work
from backend.errors import AppError
from backend.models import User
from backend.practice import conversation_service
from tests.apps.helpers import (
    assert_clean,
    classroom,
    everything,
    log_in,
    open_page,
    teacher_app,
    texts,
)
from tests.factories import make_client, make_section


def _add_client(app_db, teacher, **overrides):
    with unit_of_work(app_db) as db:
        return make_client(db, teacher=teacher, **overrides)


def test_test_conversation_after_saving_an_edit_plays_the_saved_client_not_an_old_chat(
    app, app_db, teacher, app_api
):
    """The teacher tries Alex (one exchange), edits the opening line and the style, saves ("Saved
    Alex Rivera. Press **Test conversation** on its card to try it.") and presses Test
    conversation: the Try page hands back the old test chat, whose opening reply was played with
    the old profile, and says nothing of the edit. The edited opening line can never be seen
    there, and the next reply continues a character the teacher just changed."""
    client = _add_client(app_db, teacher, name="Alex Rivera", opening_line="Hi.")
    app_api.reply("Hi. I guess I'm here because work is a lot.")
    at = teacher_app(app)
    at.button(key=f"test_client_{client.id}").click().run()
    at.chat_input(key="chat_input").set_value("Hello, what brings you in?").run()
    assert len(at.chat_message) == 2

    at = open_page(at, "Clients")
    at.button(key=f"edit_client_{client.id}").click().run()
    at.text_input(key="client_opening_line").input("I don't want to be here.")
    at.selectbox(key="client_communication_style").select("reserved")
    at.button(key="save_client").click().run()
    assert_clean(at)
    assert any("Press **Test conversation**" in m for m in texts(at, "success"))

    at.button(key=f"test_client_{client.id}").click().run()
    assert_clean(at)
    old_chat = [m.markdown[0].value for m in at.chat_message if m.markdown]
    told = any(
        word in everything(at).lower() for word in ("edited", "changed since", "saved since")
    )
    assert not old_chat or told, (
        "after saving an edit, Test conversation shows the chat played with the old profile "
        f"({old_chat!r}) and says nothing of the edit"
    )


def test_archiving_a_client_is_not_said_to_touch_only_new_conversations_when_it_stops_open_ones(
    app, app_db, app_api
):
    """A student is mid-conversation with Alex; the teacher presses Archive and reads "Alex Rivera
    is archived: hidden from new conversations, history kept." The student's next message is
    refused ("This client is not assigned to you ..."): the open conversation was stopped too,
    which the teacher was not told (nor asked, though the card could count it)."""
    student, alex, _ = classroom(app_db)
    with unit_of_work(app_db) as db:
        teacher = UserRead.model_validate(db.get(User, alex.owner_id))
        student_read = UserRead.model_validate(db.get(User, student.id))
    database = Database(app_db)
    session = conversation_service.start_conversation(
        database, actor=student_read, client_id=alex.id
    )
    app_api.reply("Work has been a lot.")
    first = conversation_service.submit_message(
        database, actor=student_read, session_id=session.id, content="What brings you in?"
    )
    assert first.wait().ok  # mid-conversation, as the teacher archives

    at = log_in(app.run(), teacher.username)
    at.button(key=f"archive_client_{alex.id}").click().run()
    assert_clean(at)
    told = " ".join(texts(at, "success"))

    app_api.reply("It's hard to say.")
    try:
        conversation_service.submit_message(
            database, actor=student_read, session_id=session.id, content="Go on."
        ).wait()
        refused = None
    except AppError as error:
        refused = error.message
    only_new = "hidden from new conversations" in told and "open" not in told.lower()
    assert not (only_new and refused), (
        f"the teacher was told {told!r}; the student's open conversation was then refused: "
        f"{refused!r}"
    )


def test_two_clients_of_one_name_can_be_told_apart_when_choosing_an_assignments_clients(
    app, app_db, teacher
):
    """A teacher imports a colleague's "Alex Rivera" beside their own (or writes a harder
    rewrite under the same name): the new assignment's Clients box offers "Alex Rivera" twice,
    and nothing tells which is which (the export picker tells them apart with "#id")."""
    with unit_of_work(app_db) as db:
        make_client(db, teacher=teacher, name="Alex Rivera", difficulty="beginner")
        make_client(db, teacher=teacher, name="Alex Rivera", difficulty="advanced")
        make_section(db, teacher=teacher, name="Skills 101")
    at = open_page(teacher_app(app), "Sections & assignments")
    assert_clean(at)
    labels = list(at.multiselect(key="assignment_clients").options)
    assert len(set(labels)) == len(labels), (
        f"the Clients box offers {labels!r}: two clients the teacher cannot tell apart"
    )


def test_opening_another_card_in_the_form_does_not_drop_what_was_typed_unsaved(
    app, app_db, teacher
):
    """The teacher's save of Alex is refused (one trait); they press Edit on Blake's card to see
    how they wrote Blake's traits. The form now holds Blake; Alex's typed concern and the rest
    are gone, without a question or a word (Start over in a test chat asks first)."""
    alex = _add_client(app_db, teacher, name="Alex Rivera")
    blake = _add_client(app_db, teacher, name="Blake Chen")
    at = teacher_app(app)
    at.button(key=f"edit_client_{alex.id}").click().run()
    typed = "Panic attacks on the bus since March; stopped going to work."
    at.text_area(key="client_presenting_concern").input(typed)
    at.multiselect(key="client_personality_traits").set_value(["anxious"])
    at.button(key="save_client").click().run()
    assert "Choose between 2 and 5 personality traits." in everything(at)

    at.button(key=f"edit_client_{blake.id}").click().run()
    assert_clean(at)
    kept = at.text_area(key="client_presenting_concern").value == typed
    asked = any(word in everything(at).lower() for word in ("unsaved", "not saved", "discard"))
    assert kept or asked, (
        "Edit on another card replaced the form: the typed, unsaved changes to Alex are gone "
        "without a word"
    )
