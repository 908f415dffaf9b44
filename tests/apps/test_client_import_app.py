"""Clients page: importing a colleague's JSON file. The success message and the page below it
must agree: the imported client is listed (and exportable) in the same run."""

from __future__ import annotations

import json

from tests.apps.helpers import assert_clean, everything, teacher_app, texts

FILE = json.dumps(
    {
        "format": "counseling-client-profiles",
        "version": 1,
        "clients": [
            {
                "name": "Imported Ian",
                "personality_traits": ["anxious", "guarded"],
                "presenting_concern": "Cannot sleep before exams.",
            }
        ],
    }
).encode()


def test_a_first_import_is_listed_not_contradicted_by_no_clients_yet(app, teacher):
    at = teacher_app(app)  # a new teacher: no clients yet
    at.file_uploader(key="import_file").set_value(("clients.json", FILE, "application/json"))
    at.run()
    at.button(key="import_clients").click().run()
    assert_clean(at)
    assert "Imported 1 client(s): Imported Ian." in texts(at, "success")
    # The same screen goes on to say there are none, and shows no card for Ian.
    assert "No clients yet." not in everything(at)
    assert "**Imported Ian**" in texts(at)
