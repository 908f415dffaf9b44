"""A client that says it will not go on with the role-play has left the role as surely as one
that says it is an AI ("I'm not comfortable continuing this role-play."), while a client who
speaks of a role-play or a simulation in their own life has not. A first rule for the former
(2026-12-07) stopped the latter too, and an attack on it found both ways wrong (a flight
simulation instructor got no reply at all), so it was taken back: the client's own words pass,
and leaving the role-play in words other than "I'm an AI" is a known limit (strict xfails)."""

from __future__ import annotations

import pytest

from tests.integration.test_client_keeps_secrets_and_manners import set_client
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply

LEAVING = [
    "I'm not comfortable continuing this role-play.",
    "I don't think I should continue this roleplay, but I'm happy to help in another way.",
    "I can't role-play this. Is there something else I can help you with?",
    "I can't engage in this role-play. Is there something else I can help with?",
    "I'm not comfortable continuing this conversation in character.",
]


@pytest.mark.xfail(strict=True, reason="known limit: only 'I'm an AI' and OOC words are stopped")
@pytest.mark.parametrize("out_of_role", LEAVING)
def test_a_client_that_leaves_the_role_play_never_reaches_the_student(
    committed_engine, api, classroom, out_of_role
):
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    _session, seen, _outcome = first_reply(committed_engine, classroom, "How are you feeling?")
    assert out_of_role not in seen, f"the student read {seen!r}"
    assert len(api.messages_requests()) == 2, "the out-of-role reply was not asked for again"


OWN_LIFE = [
    "My group therapist made us do a role-play last week and I hated it.",
    "I can't stop the role-play in my head, I keep replaying it.",
    "We had to end the simulation early at work because the alarm went off.",
    "I won't role-play with my therapist again, it felt fake.",
    "She made us stop the role-play halfway because I started crying.",
    "The pilots pause the simulation when someone panics, and that someone was me.",
]


@pytest.mark.parametrize("said", OWN_LIFE)
def test_a_role_play_in_the_clients_own_life_is_theirs_to_mention(
    committed_engine, api, classroom, said
):
    api.reply(said, chunk_delay=0)
    _session, seen, outcome = first_reply(committed_engine, classroom, "How was your week?")
    assert outcome.ok and said in seen, f"the client's own words were stopped: {seen!r}"
    assert len(api.messages_requests()) == 1


def test_a_flight_simulation_instructor_can_talk_about_their_job(committed_engine, api, classroom):
    set_client(committed_engine, classroom, occupation="flight simulation instructor")
    said = "Most days I end the simulation at five and just sit in the car."
    api.reply(said, chunk_delay=0)
    _session, seen, outcome = first_reply(committed_engine, classroom, "How is work?")
    assert outcome.ok and said in seen, f"the student got no reply: {outcome.notice!r}"
