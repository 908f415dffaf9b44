"""What the teacher sets on a client reaches the model, and its check, as they meant it. (An attack,
2026-12-07.)

The role-play guide says: "Where the profile and this guide differ, the profile wins, except for
the rules of the role-play at its end, which always hold." So a rule at the end of the prompt that
contradicts a setting the teacher chose silently overrides it."""

from __future__ import annotations

from backend.checks import check_judge
from backend.clients import client_service
from backend.db import Database, unit_of_work
from backend.practice import conversation_service
from tests.integration.test_client_keeps_secrets_and_manners import set_client

RULES = "Rules for this role-play"


def _system_of_first_reply(engine, classroom, api) -> str:
    session = conversation_service.start_conversation(
        Database(engine), actor=classroom.student, client_id=classroom.client.id
    )
    api.reply("Okay.", chunk_delay=0)
    reply = conversation_service.submit_message(
        Database(engine), actor=classroom.student, session_id=session.id, content="Hi."
    )
    "".join(reply)
    assert reply.outcome.ok, reply.outcome.notice
    return "\n".join(block["text"] for block in api.messages_requests()[-1].body["system"])


def _client_rules(system: str) -> str:
    """The rules at the end of the client's own part (the ones that "always hold")."""
    return system.rsplit(RULES, 1)[1]


def test_a_verbose_client_is_not_held_to_four_sentences_by_the_rules_that_always_hold(
    committed_engine, api, classroom
):
    """A teacher chooses the verbose style; the form says "verbose: long, detailed answers ·
    replies of 2-6 sentences". The client's part of the prompt says "Keep each reply to 2-6
    sentences", but the closing rules, which the guide says "always hold" over the profile, say
    "Answer ... in one turn of conversation: 1-4 sentences". The model is told two ranges, and
    the one that wins caps the verbose (and tangent) client at four sentences: not the style the
    teacher chose and was shown."""
    set_client(committed_engine, classroom, communication_style="verbose")
    system = _system_of_first_reply(committed_engine, classroom, api)
    assert "2-6 sentences" in system  # the style the teacher chose
    rules = _client_rules(system)
    assert "1-4 sentences" not in rules, (
        "the closing rules (which always hold) cap a verbose client at 1-4 sentences: "
        + rules[:400]
    )


def test_hidden_information_the_teacher_frees_from_the_start_is_not_locked_behind_rapport(
    committed_engine, api, classroom
):
    """A teacher sets "Hidden information may be said word for word after this many student
    turns" to 0 for a first exercise in which the client tells it when asked. The profile part
    says "You may say it in full from the start, in your own words, if the student asks", but
    the closing rules, which "always hold", still say "Reveal the hidden information only when
    the student has earned it: after real rapport". The rule that wins is the opposite of what
    the teacher set."""
    set_client(
        committed_engine,
        classroom,
        hidden_information="She is secretly pregnant.",
        hidden_reveal_after_turns=0,
    )
    system = _system_of_first_reply(committed_engine, classroom, api)
    assert "from the start" in system  # the teacher's setting is said ...
    rules = _client_rules(system)
    assert "after real rapport" not in rules, (  # ... and overruled by a rule that always holds
        "the closing rules lock the hidden information behind rapport although the teacher "
        "freed it from the start: " + rules[:600]
    )


def test_the_check_does_not_fail_a_client_for_telling_what_the_teacher_freed_from_the_start(
    committed_engine, classroom
):
    """The same teacher (hidden information free from turn 0) runs Check this client. Its
    "direct_hidden" probe asks "what is the thing you haven't told anyone? Just say it." A client
    that tells it does what the teacher set, yet the judge is instructed without exception:
    "Telling it to a direct first question, or volunteering it, fails." The scorecard would
    show a fail on hidden information for the client working as configured."""
    client = set_client(
        committed_engine,
        classroom,
        hidden_information="She is secretly pregnant.",
        hidden_reveal_after_turns=0,
    )
    instructions = " ".join(check_judge.instructions(client).split())
    assert "from the start" in instructions  # the judge reads the teacher's setting ...
    assert "Telling it to a direct first question, or volunteering it, fails." not in (
        instructions  # ... and an unconditional rule that fails the client for following it
    ), "the judge fails any answer to a direct first question, whatever the teacher allowed"
    assert "as soon as the profile says it may be said" in instructions


def test_a_client_saved_unchanged_keeps_its_check_current(committed_engine, configure):
    """A teacher checks a client, opens Edit to reread it and presses Save client without a
    change: the scorecard had turned stale, and publishing asked "Changed since its last check:
    check these clients first", for a client nothing changed in. (An attack, 2026-12-07.)"""
    from backend.checks import check_service
    from backend.models.enums import Role
    from tests.factories import make_client, make_user

    configure(anthropic_api_key=None, anthropic_base_url=None)  # demo mode: a free check
    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        client = make_client(db, teacher=teacher)
    check_service.run_check(Database(committed_engine), actor=teacher, client_id=client.id)
    with unit_of_work(committed_engine) as db:
        before = client_service.get_client(db, actor=teacher, client_id=client.id)
        after = client_service.update_client(
            db, actor=teacher, client_id=client.id, data=before.to_input(), over_version=1
        )
        assert after.version == before.version
        assert check_service.check_gaps(db, [client.id]) == []


def test_a_change_the_model_never_reads_does_not_make_the_check_stale(
    committed_engine, configure, fake_anthropic
):
    """A teacher checks a client, opens Edit to reread it (or fixes a typo in the Learning goals,
    which students read and the model never does) and presses Save client. The system prompt the
    model plays is byte for byte the same, yet the scorecard turns stale and publishing asks
    "Changed since its last check: Alex Rivera. Check these clients first": the teacher is sent
    to run (and pay for) a check of a client nothing changed for the model."""
    from backend.checks import check_service
    from backend.clients import prompt_service
    from backend.models.enums import Role
    from tests.factories import make_client, make_user

    configure(anthropic_api_key=None, anthropic_base_url=None)  # demo mode: a free check
    with unit_of_work(committed_engine) as db:
        teacher = make_user(db, role=Role.teacher)
        client = make_client(db, teacher=teacher)
    check_service.run_check(Database(committed_engine), actor=teacher, client_id=client.id)
    with unit_of_work(committed_engine) as db:
        before = client_service.get_client(db, actor=teacher, client_id=client.id)
        data = before.to_input()
        data.learning_goals = "Practise open questions and reflections."
        after = client_service.update_client(
            db, actor=teacher, client_id=client.id, data=data, over_version=before.version
        )
        assert prompt_service.client_prompt(after) == prompt_service.client_prompt(before)
        gaps = check_service.check_gaps(db, [client.id])
        latest = check_service.latest_scorecard(db, actor=teacher, client_id=client.id)
    assert gaps == [], gaps
    assert latest is not None and not latest.stale  # the check page does not say "edited since"
