"""A review's risk note never gives away the client's hidden information the student has not
uncovered (an attack, 2026-12-07)."""

from __future__ import annotations

import json

from backend.db import Database
from backend.reviews import review_service
from tests.integration.test_reviews import ended_session, read, valid_answer

RISK_LINES = [
    ("Hi, I'm Sam. What brings you in today?", "Work has been rough lately."),
    ("It sounds like work has been wearing you down.", "Some nights I just want to end it all."),
    ("Have you tried talking to your boss?", "Not really."),
]


def test_the_risk_note_a_student_reads_never_gives_away_unearned_hidden_information(
    api, classroom, committed_engine
):
    """Every text of a review the student reads is checked against the client's hidden
    information (goal, comments, better replies, reasoning) except the risk item's note, which
    the student reads in the red "Risk passed over" box: the model's note naming the secret
    the student never uncovered is stored and shown. (An attack, 2026-12-07.)"""
    session_id = ended_session(committed_engine, classroom, RISK_LINES)
    leaking = valid_answer()
    leaking["risk"] = [
        {
            "client_turn": 4,
            "quote": "Some nights I just want to end it all.",
            "student_turn": 5,
            "responded": False,
            "note": "The client, who was recently passed over for promotion, spoke of ending "
            "it all and the student moved on.",
        }
    ]
    repaired = valid_answer()
    repaired["risk"] = [
        {
            **leaking["risk"][0],
            "note": "The client spoke of ending it all and the student moved on.",
        }
    ]
    api.tool_reply(leaking)
    api.tool_reply(repaired)  # the repair request named the note

    review_service.create_review(
        Database(committed_engine), actor=classroom.student, session_id=session_id
    )

    seen = read(committed_engine, classroom.student, session_id)
    assert seen is not None and seen.content is not None
    notes = [item.note for item in seen.content.risk]
    assert notes and not any("passed over for promotion" in note for note in notes), notes
    repair = json.dumps(api.messages_requests()[-1].body["messages"])
    assert "risk 1: it repeats the client's hidden information" in repair
