"""An exported transcript is safe to open in a Markdown viewer: it loads and links nothing."""

from __future__ import annotations

import re

from backend.models.enums import Role
from backend.practice import history_service
from tests.factories import add_message, make_client, make_user, start_session

PAYLOAD = "![x](http://e.vil/p.png) [click](http://e.vil) <http://e.vil/a> www.e.vil m@e.vil"
LIVE = re.compile(r"(?<!\\)[\[\]<]|[a-z]\\?:\\?/|\bwww\\?\.|[\w.+-]\\?@", re.I)


def test_a_transcript_export_shows_user_text_without_images_or_links(db):
    teacher = make_user(db, role=Role.teacher, display_name=f"Tina {PAYLOAD}")
    client = make_client(db, teacher=teacher, name="Alex [x](http://e.vil)")
    session = start_session(db, user=teacher, client=client)
    add_message(db, actor=teacher, session_id=session.id, content=PAYLOAD)
    markdown = history_service.transcript_markdown(db, actor=teacher, session_id=session.id)
    people_wrote = [
        line
        for line in markdown.splitlines()
        if "e.vil" in line or "Alex" in line or "Tina" in line
    ]
    assert people_wrote and not [line for line in people_wrote if LIVE.search(line)]
