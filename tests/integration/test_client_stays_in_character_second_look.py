"""An attack on the day's character rules of the output guard (94be9d0, 2026-12-07), both ways:

(a) a real client's own words, stopped twice, so the student gets no reply at all ("held back
    because it broke character"): a nurse's or a veteran's "my instructions / guidelines /
    programming say", a call-centre worker's "I'm just a bot on the phones", a drama teacher's
    "my students step out of character", a standardized-patient actor's "I'm a simulated client
    for the college", a chatbot quoted without quotation marks, a school report or old therapy
    notes read out line by line, "Claude here, my cat";
(b) replies that plainly leave the role and still reach the screen and the transcript, one step
    from the new rules ("*breaks character*", "Speaking as the AI here:", "As an assistant,",
    "I'm Claude's simulation of Alex", "Note: I'm roleplaying a client", "Feedback: nice open
    question", "(As the simulated client, ...)", "User:" lines);
(c) a stopped reply whose first, plainly out-of-role words were already on the student's screen
    ("The user is asking how I feel.", "In this scenario"), the retry's reply written after them.

Every reply goes through the fake Anthropic API and `first_reply`, as in
tests/integration/test_client_stays_in_character.py.

Fixed by narrowing the rules (output_guard's docstring): (a) all pass; (b) all but five are
stopped, the five strict xfails each naming the client its rule would stop; (c) is the reply
job's to take back from the screen, not the guard's (xfail)."""

from __future__ import annotations

import pytest

from backend.db import Database
from backend.practice import conversation_service, output_guard
from tests.integration.test_client_keeps_secrets_and_manners import set_client
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply
from tests.integration.test_client_stays_in_character import _held_back_and_asked_again
from tests.unit.test_output_guard import profile, stream

NURSE = {
    "occupation": "Night-shift nurse on a cardiac ward",
    "background": "Follows the ward's instructions and guidelines to the letter.",
}
CALL_CENTRE = {
    "occupation": "Call-centre agent",
    "background": "Reads the same script on the phones eight hours a day.",
}
DRAMA_TEACHER = {"occupation": "Drama teacher at a high school"}
SIMULATED_CLIENT_ACTOR = {
    "occupation": "Standardized patient actor (a simulated client for training programs)",
}
VETERAN = {"occupation": "Retired Army sergeant"}


# (a) A real client's own words, stopped twice: the student gets no reply ------------------------
OWN_WORDS = [
    (
        NURSE,
        "What happened on that shift?",
        "My instructions say no more than two of those pills a day, and I gave him three.",
    ),
    (
        NURSE,
        "Who do you talk to about work?",
        "My guidelines say I can't talk about patients outside work, so I keep it all in.",
    ),
    (
        CALL_CENTRE,
        "What's work like for you?",
        "Honestly, at work I'm just a bot on the phones all day.",
    ),
    (CALL_CENTRE, "How do they treat you there?", "I'm a bot to them, a headset with a pulse."),
    (
        CALL_CENTRE,
        "What's a normal day like?",
        "My prompt says 'Thank you for calling', and I say it four hundred times a day.",
    ),
    (
        DRAMA_TEACHER,
        "What's hard about your job?",
        "My students step out of character the second the audience laughs.",
    ),
    (
        DRAMA_TEACHER,
        "What do you teach them?",
        "Stepping out of character is the first thing I teach them not to do.",
    ),
    (
        {},
        "Do you have friends you see?",
        "OOC is what my Dungeons and Dragons group types when they want a snack break, and "
        "that's about all the social life I have.",
    ),
    (
        SIMULATED_CLIENT_ACTOR,
        "Tell me about your work.",
        "I'm a simulated client for the counseling program at the college, two days a week.",
    ),
    (
        VETERAN,
        "What gets in the way of asking for help?",
        "My programming says never cry in front of anyone. Twenty years of it.",
    ),
    (
        {},
        "Have you looked for help anywhere else?",
        "I typed it all out to the chatbot and it goes, as an AI, I can't give medical "
        "advice. Great.",
    ),
    (
        {"name": "Sam Rivera"},
        "How is your son doing at school?",
        "The school emailed his report:\nStudent: Jamie Rivera\nTeacher: Ms Park\n"
        "Comment: withdrawn, not turning in work.",
    ),
    (
        {},
        "What was therapy like before?",
        "I still have my old therapy notes.\nTherapist: What did you feel?\nMe: Nothing.",
    ),
    ({}, "Who do you have at home?", "Claude here, my cat, is the only one who listens to me."),
]
OWN_WORDS_IDS = [
    "nurse-my-instructions-say",
    "nurse-my-guidelines-say",
    "call-centre-just-a-bot-on-the-phones",
    "call-centre-a-bot-to-them",
    "call-centre-my-prompt-says",
    "drama-teacher-students-step-out-of-character",
    "drama-teacher-stepping-out-of-character",
    "tabletop-gamer-ooc",
    "standardized-patient-actor",
    "veteran-my-programming-says",
    "chatbot-quoted-without-quotes",
    "school-report-student-line",
    "old-therapy-notes-therapist-line",
    "claude-here-my-cat",
]


@pytest.mark.parametrize(("changes", "student", "said"), OWN_WORDS, ids=OWN_WORDS_IDS)
def test_a_real_clients_own_words_are_not_stopped_twice(
    committed_engine, api, classroom, changes, student, said
):
    """A night nurse says "My instructions say no more than two of those pills a day, and I
    gave him three"; a call-centre agent "at work I'm just a bot on the phones all day"; a drama
    teacher "my students step out of character the second the audience laughs"; a standardized
    patient actor "I'm a simulated client for the counseling program at the college"; a veteran
    "my programming says never cry"; a parent reads out a school report line by line
    ("Student: Jamie Rivera"). Each is the client's own life, in character; each is stopped as
    "words of an AI", the model is asked again (a second paid call, told it "spoke as an AI"),
    gives the same in-character answer, and the student reads "held back because it broke
    character" instead of a reply to an ordinary question. The profile (the nurse's
    "instructions and guidelines", the actor's "simulated client") does not help: the rules
    look at the owner "my", the words after "a bot", the marker or the label, never at it."""
    if changes:
        set_client(committed_engine, classroom, **changes)
    api.reply(said, chunk_delay=0, times=2)
    _session, seen, outcome = first_reply(committed_engine, classroom, student)
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert seen == said, f"the student read {seen!r} for the in-character {said!r}"
    assert len(api.messages_requests()) == 1, "the in-character reply was asked for again"


# (b) Out-of-role replies, one step from the new rules, that reach the student --------------------


def _known_miss(reply: str, reason: str):
    """A miss left in on purpose: the rule that would stop it stops a client too."""
    return pytest.param(reply, marks=pytest.mark.xfail(strict=True, reason=reason))


MISSES = [
    "*breaks character* Great open question! Okay, back to Alex: I don't know.",
    "(Breaking character for a moment: that was a great reflection.) Anyway, I don't know.",
    "Speaking as the AI here: that was a great open question. Anyway, I don't know.",
    _known_miss(
        "As an assistant, I can't pretend to feel tired, but Alex would say work is a lot.",
        "'an assistant' is a job: a dental or teaching assistant's 'As an assistant, I get "
        "all the blame' would be stopped",
    ),
    "I'm Claude's simulation of Alex, so I don't really have a job to be tired of.",
    _known_miss(
        "Note: I'm roleplaying a client here, so my feelings are made up. I don't know.",
        "a standardized-patient actor says 'I'm role-playing a client for the nursing "
        "students on Tuesdays' of their own job",
    ),
    _known_miss(
        "Feedback: nice open question. Now, as for me, I don't know.",
        "a label heading the reply is a client's too ('Feedback: that's what my boss calls "
        "it when he yells', as 'Student: that's what my badge said' is kept)",
    ),
    "(As the simulated client, I'd say I'm tired.) Work has been a lot lately.",
    _known_miss(
        "I'm not a real person, I'm a simulation for your training, but I can say work is a lot.",
        "'I'm not a real person' is a dissociating client's, 'a simulation' goes on as 'a "
        "bot on the phones' does, and a client of a training clinic asks about 'your training'",
    ),
    "I'm the AI playing your client, so I don't really get tired.",
    _known_miss(
        "According to my instructions, I shouldn't share that yet, so I'll keep it vague.",
        "'according to my instructions' is a nurse's or a soldier's 'my instructions say' in "
        "other words ('According to my instructions, no more than two pills a day')",
    ),
    "My system prompt tells me to stay guarded, so I'll keep it vague.",
    "Pausing the role-play for a moment: your reflection was spot on.",
    pytest.param(
        "I don't know.\n\nUser: What makes you say that?\nAssistant: Work is a lot.",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: a client's pasted chat reads the same (a third look, 2026-12-07)",
        ),
    ),
]


@pytest.mark.parametrize("out_of_role", MISSES)
def test_an_out_of_role_reply_near_the_new_rules_is_held_back(
    committed_engine, api, classroom, out_of_role
):
    """The student asks how Alex feels and reads "*breaks character* Great open question!",
    "Speaking as the AI here:", "As an assistant, I can't pretend to feel tired", "I'm Claude's
    simulation of Alex", "Note: I'm roleplaying a client here", "Feedback: nice open question",
    "(As the simulated client, ...)", "My system prompt tells me...", or a transcript with a
    "User:" and an "Assistant:" line: the client is plainly a program commenting on the
    exercise, and the words are stored as Alex's turn for the teacher's review. Each is one
    step from a stopped form: "breaks"/"breaking" character not followed by a colon, "the AI"
    instead of "an AI", "an assistant" without "AI", a possessive "Claude's", "roleplaying a
    client" (only the client's own name counts), "Feedback:" (only "feedback on your ..."),
    "the simulated client" (only "a"/"your"), "system prompt"/"according to my instructions"
    (only "my instructions say"), the speakers "User"/"Assistant" (only
    student/client/counselor/therapist)."""
    _held_back_and_asked_again(committed_engine, api, classroom, out_of_role)


# (c) A stopped reply's first words already on the screen -----------------------------------------
SHOWN_FIRST = [
    "The user is asking how I feel. As Alex, I'd say: work has been a lot lately.",
    "In this scenario I'm playing Alex, a barista who feels stuck at work.",
    "Sure, I can keep going with the practice session for you. As Alex, I'd say I'm tired.",
    "That's a great open question for a counseling student to ask. As Alex, I'd say I'm tired.",
]


@pytest.mark.parametrize("out_of_role", SHOWN_FIRST)
def test_a_stopped_replys_first_words_leave_the_bubble_for_the_next_try(
    committed_engine, api, classroom, out_of_role
):
    """The guard stops "As Alex, I'd say" / "I'm playing Alex", but holds back only the saying
    itself (`LONGEST_SAYING` - 1 words and a pending "As Alex," from its start): the words that
    lead into it, as plainly out of role, stream to the student first ("The user is asking how I
    feel. "), and the retry's reply had been written right after them in the same bubble. They
    are taken back when the draft is stopped (`runner.TAKEN_BACK`): the bubble ends as the
    retry's words alone."""
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER, chunk_delay=0)
    session = conversation_service.start_conversation(
        Database(committed_engine), actor=classroom.student, client_id=classroom.client.id
    )
    reply = conversation_service.submit_message(
        Database(committed_engine),
        actor=classroom.student,
        session_id=session.id,
        content="How are you feeling today?",
    )
    chunks = list(reply)
    assert len(api.messages_requests()) == 2, "the out-of-role reply was not stopped at all"
    assert reply.outcome.ok, reply.outcome.notice
    read = ""
    for chunk in chunks:
        read = conversation_service.after(read, chunk)
    assert read == IN_CHARACTER, f"the student's bubble reads {read!r}"


@pytest.mark.xfail(strict=True, reason="the lead-in shows until the stop takes it back")
@pytest.mark.parametrize("out_of_role", SHOWN_FIRST)
def test_none_of_a_stopped_reply_reaches_the_screen_before_the_stop(
    committed_engine, api, classroom, out_of_role
):
    """A known limit: for the moment between its lead-in and the stop, the student can read
    "The user is asking how I feel." before it is taken back."""
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER, chunk_delay=0)
    _session, seen, _outcome = first_reply(committed_engine, classroom, "How are you feeling?")
    assert seen == IN_CHARACTER, f"the student read {seen!r} on the way"


@pytest.mark.parametrize(("changes", "said"), [(c, s) for c, _, s in OWN_WORDS], ids=OWN_WORDS_IDS)
def test_a_real_clients_own_words_pass_wherever_the_chunks_break(changes, said):
    """Streamed in chunks of any size, the client's own words are shown whole, unstopped (the
    rules that wait for the next word or the clause's end decide alike whatever the chunks)."""
    for size in (1, 2, 3, 5, 8):
        guard = output_guard.guard_for(profile("", **changes), student_turns=1, run_words=6)
        assert stream(guard, said, size) == said, (size, guard.quote)


@pytest.mark.parametrize("out_of_role", MISSES)
def test_none_of_a_near_miss_is_shown_wherever_the_chunks_break(out_of_role):
    """Streamed in chunks of any size, the words of a near miss that leave the role are stopped
    before any of them reaches the screen (an aside waiting for its colon is held back too)."""
    for size in (1, 2, 3, 5, 8):
        guard = output_guard.guard_for(profile(""), student_turns=1, run_words=6)
        shown = stream(guard, out_of_role, size)
        assert guard.leaked == output_guard.OUT_OF_ROLE, (size, shown)
        assert guard.quote is not None and guard.quote not in shown, (size, shown)


def test_a_draft_stopped_before_any_of_it_was_shown_takes_nothing_back(
    committed_engine, api, classroom
):
    api.reply("As an AI, I don't drink.", chunk_delay=0)
    api.reply(IN_CHARACTER, chunk_delay=0)
    _session, seen, outcome = first_reply(committed_engine, classroom, "Do you drink?")
    assert outcome.ok and seen == IN_CHARACTER
