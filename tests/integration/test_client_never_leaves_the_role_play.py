"""A client that says it will not go on with the role-play has left the role as surely as one
that says it is an AI: "I'm not comfortable continuing this role-play." is stopped and asked
again, never shown to the student; a client who speaks of a role-play in their own life is not.
(Left open by the day before's guard, taken up 2026-12-07.)"""

from __future__ import annotations

import pytest

from tests.integration.test_client_keeps_secrets_and_manners import set_client
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply

LEAVING = [
    "I'm not comfortable continuing this role-play.",
    "I don't think I should continue this roleplay, but I'm happy to help in another way.",
    "I can't role-play this. Is there something else I can help you with?",
    "I need to stop this simulation here.",
    "Let me pause the role-play for a moment: self-harm is a serious topic.",
]


@pytest.mark.parametrize("out_of_role", LEAVING)
def test_a_client_that_leaves_the_role_play_never_reaches_the_student(
    committed_engine, api, classroom, out_of_role
):
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    _session, seen, _outcome = first_reply(committed_engine, classroom, "How are you feeling?")
    assert out_of_role not in seen, f"the student read {seen!r}"
    assert len(api.messages_requests()) == 2, "the out-of-role reply was not asked for again"


@pytest.mark.parametrize(
    "said",
    [
        "My group therapist made us do a role-play last week and I hated it.",
        "The drama class is all role play, which is why I dropped it.",
        "At work they run a fire simulation every month.",
    ],
)
def test_a_role_play_in_the_clients_own_life_is_theirs_to_mention(
    committed_engine, api, classroom, said
):
    set_client(committed_engine, classroom, occupation="drama teacher")
    api.reply(said, chunk_delay=0)
    _session, seen, outcome = first_reply(committed_engine, classroom, "How was your week?")
    assert outcome.ok and said in seen
    assert len(api.messages_requests()) == 1
