"""(An attack, 2026-12-06.) Attack: a teacher shares clients as JSON. The app's own export, opened and saved again in an
editor that writes a byte order mark (Notepad, PowerShell's Out-File, Excel's "CSV UTF-8"
cousins), must import; the page says the file "is not valid JSON (line 1)"."""

from __future__ import annotations

import json

from tests.apps.helpers import assert_clean, everything, teacher_app, texts

PROFILE = {
    "name": "Imported Ian",
    "personality_traits": ["anxious", "guarded"],
    "presenting_concern": "Cannot sleep before exams.",
}
FILE = json.dumps(
    {"format": "counseling-client-profiles", "version": 1, "clients": [PROFILE]},
    indent=2,
    ensure_ascii=False,
)


def test_an_export_saved_with_a_byte_order_mark_imports(app, teacher):
    at = teacher_app(app)
    upload = "\ufeff".encode() + FILE.encode("utf-8")  # "UTF-8 with BOM"
    at.file_uploader(key="import_file").set_value(("clients.json", upload, "application/json"))
    at.run()
    at.button(key="import_clients").click().run()
    assert_clean(at)
    assert "not valid JSON" not in everything(at), texts(at, "warning")
    assert "Imported 1 client(s): Imported Ian." in texts(at, "success")
