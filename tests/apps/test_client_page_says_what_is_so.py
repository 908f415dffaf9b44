"""A teacher authoring clients on the Clients page: what it says and what it exports. (An attack,
2026-12-07.)"""

from __future__ import annotations

import json

from backend.clients import client_service
from backend.db import unit_of_work
from backend.models.enums import Role
from tests.apps.helpers import assert_clean, everything, log_in, open_page, teacher_app, texts
from tests.factories import make_client, make_user


def test_a_teacher_whose_clients_are_all_archived_is_not_told_they_have_none(app, app_db, teacher):
    """A teacher archives their only client at the end of a term. Opening Clients, they read
    "No clients yet. Fill in the form above to create your first simulated client" and the
    first-run "Start here: 1. write your first client" banner, with a blank New client form
    opened for them. They have a client (archived): the page should say their clients are
    archived and point to "Show archived clients", not tell them they have never written one."""
    with unit_of_work(app_db) as db:
        client = make_client(db, teacher=teacher, name="Alex Rivera")
        client_service.set_archived(db, actor=teacher, client_id=client.id)
    at = teacher_app(app)
    assert_clean(at)
    shown = everything(at)
    assert "No clients yet" not in shown, shown
    assert "write your first client" not in shown, shown
    assert "archived" in shown.lower(), shown


PROFILE = {
    "name": "Zoë Müller",
    "personality_traits": ["anxious", "guarded"],
    "presenting_concern": "Can’t sleep before exams – “it’s too much”.",
}
FILE = json.dumps(
    {"format": "counseling-client-profiles", "version": 1, "clients": [PROFILE]},
    indent=2,
    ensure_ascii=False,
)


def test_an_import_saved_as_windows_1252_does_not_change_the_clients_words(app, app_db, teacher):
    """A colleague opens the app's export in an editor that saves in the Windows code page
    (older Notepad's "ANSI", Excel) and sends it on. Importing it, the page says
    "Imported 1 client(s)" and the new client is named "Zo\ufffd M\ufffdller": every accented
    letter and curly quote became a replacement mark, silently (`raw=...decode("utf-8",
    "replace")`). An import must keep the words or refuse the file saying why, never change
    them."""
    at = teacher_app(app)
    upload = FILE.encode("cp1252")
    at.file_uploader(key="import_file").set_value(("clients.json", upload, "application/json"))
    at.run()
    at.button(key="import_clients").click().run()
    assert_clean(at)
    with unit_of_work(app_db) as db:
        names = [c.name for c in client_service.list_clients(db, actor=teacher)]
        concerns = [c.presenting_concern for c in client_service.list_clients(db, actor=teacher)]
    shown = everything(at)
    assert "\ufffd" not in shown, texts(at, "success")
    assert all("\ufffd" not in text for text in names + concerns), (names, concerns)


def test_a_client_written_on_the_page_is_offered_for_export_like_the_others(
    app, app_db, teacher, downloads
):
    """The "Clients to export" picker starts with every active client chosen. A teacher writes a second
    client in the form and saves it, then presses Download JSON to send "my clients" to a
    colleague: the file holds only the first one. The picker kept its first value, so the new
    client is not chosen (a teacher whose first client this is reads "Create a client (or pick
    some above) to export it." right under the client they just created)."""
    with unit_of_work(app_db) as db:
        make_client(db, teacher=teacher, name="Alex Rivera")
    at = teacher_app(app)
    at.button(key="new_client").click().run()
    at.text_input(key="client_name").input("Cara Chen")
    at.multiselect(key="client_personality_traits").select("guarded").select("anxious")
    at.button(key="save_client").click().run()
    assert_clean(at)
    assert "**Cara Chen**" in texts(at)
    exported = [c["name"] for c in json.loads(downloads["export_clients"]())["clients"]]
    assert sorted(exported) == ["Alex Rivera", "Cara Chen"], exported


def test_a_first_client_is_not_followed_by_create_a_client_to_export_it(app, teacher):
    """A new teacher lands in the New client form, writes their first client and saves it. The
    export box under it still says "Create a client (or pick some above) to export it." with
    nothing chosen: the page tells them to create what they just created."""
    at = teacher_app(app)
    at.text_input(key="client_name").input("Cara Chen")
    at.multiselect(key="client_personality_traits").select("guarded").select("anxious")
    at.button(key="save_client").click().run()
    assert_clean(at)
    assert "**Cara Chen**" in texts(at)
    assert "Create a client (or pick some above) to export it." not in everything(at)


def test_a_client_left_out_of_the_export_is_not_chosen_again_when_restored(
    app, app_db, teacher, downloads
):
    """The teacher takes Dana Lee out of "Clients to export" (Dana is not ready to share),
    archives Dana for the holidays, and later restores her. Dana is back in the picker, chosen:
    the restored client counts as "new since" (it was not offered while archived), so the next
    Download JSON sends the colleague the client the teacher had taken out. (An attack on the
    day's fixes, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        make_client(db, teacher=teacher, name="Alex Rivera")
        dana = make_client(db, teacher=teacher, name="Dana Lee")
    at = log_in(app.run(), "tina.teacher")
    at.multiselect(key="export_client_ids").unselect(dana.id).run()
    assert_clean(at)
    assert dana.id not in at.multiselect(key="export_client_ids").value
    at.button(key=f"archive_client_{dana.id}").click().run()
    at.toggle(key="show_archived").set_value(True).run()
    at.button(key=f"archive_client_{dana.id}").click().run()  # Restore
    at.toggle(key="show_archived").set_value(False).run()
    assert_clean(at)
    exported = [c["name"] for c in json.loads(downloads["export_clients"]())["clients"]]
    assert exported == ["Alex Rivera"], f"Download JSON now holds {exported}"


def test_an_admin_can_tell_apart_two_teachers_clients_of_one_name_in_the_export_picker(app, app_db):
    """An admin opens Clients to export one teacher's "Alex Rivera" for another school. Two
    teachers each wrote an "Alex Rivera": the picker lists "Alex Rivera" twice (every
    teacher's clients, chosen), and nothing tells whose is whose; the Class progress pickers
    now say "(tina.teacher)" for the same situation. (An attack on the
    day's fixes, 2026-12-07.)"""
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.admin, username="ada.admin")
        for name in ("tina.teacher", "theo.teacher"):
            owner = make_user(db, role=Role.teacher, username=name)
            make_client(db, teacher=owner, name="Alex Rivera")
    at = open_page(log_in(app.run(), "ada.admin"), "Clients")
    assert_clean(at)
    picker = at.multiselect(key="export_client_ids")
    labels = list(picker.options)  # as shown (format_func applied)
    assert len(set(labels)) == len(labels), f"the export picker offers {labels}"
