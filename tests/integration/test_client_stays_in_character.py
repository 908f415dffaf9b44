"""An attack on the client staying in character (2026-12-07): replies that plainly leave the role
(another name for the AI, role-play talk, a script with the student's lines, the counselor's
voice) still reach the student's screen and the stored transcript, and a real client's own words
(a theme-park performer's rules, a gig job as an "AI trainer", a first-session "unsure what to
say or what happens here") are stopped, twice, so the student gets no reply at all.

Not repeated here: "I'm an AI", "As an AI", "I'm Claude", OOC, denials, echoes, a bot quoted,
the client's own AI job, "out of character for me", "never to break character", and the known
limit of refusals to go on with the role-play (tests/integration/test_client_never_*.py)."""

from __future__ import annotations

import pytest

from backend.practice import output_guard
from tests.integration.reads import stored_messages
from tests.integration.test_client_keeps_secrets_and_manners import set_client
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply
from tests.unit.test_output_guard import profile, stream


def _stored(engine, classroom, session_id: int) -> str:
    """The whole stored transcript (what history, the teacher's review and exports show)."""
    return "\n".join(m.content for m in stored_messages(engine, classroom.student, session_id))


def _held_back_and_asked_again(engine, api, classroom, out_of_role: str) -> None:
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    session, seen, _outcome = first_reply(engine, classroom, "How are you feeling today?")
    stored = _stored(engine, classroom, session.id)
    assert out_of_role not in seen and out_of_role not in stored, (
        f"the student read {seen!r}; the transcript keeps {stored!r}"
    )
    assert len(api.messages_requests()) == 2, "the out-of-role reply was not asked for again"


# (a) Out-of-role replies that reach the student's screen and the transcript -----------------------
NAMES_ITSELF = [
    # "As" is the one subject word the rule for "Claude" leaves out (`_said_of_itself`).
    "As Claude, I should be honest with you: I can't really feel tired.",
    "Claude here. I'm happy to keep playing Alex if you'd like.",
    "This is Claude speaking, not Alex. I can't pretend to have a job.",
    # Other names for a program than the fixed `AI_NAMES`.
    "I'm just a bot, so I don't really have feelings to share.",
    "I'm a computer program, so I don't get tired.",
    "I'm ChatGPT, so I can't feel tired.",
    "Anthropic's guidelines don't let me pretend to be in crisis.",
    # "now" is an echoing word (`_ECHOING`, for "Great, so now I'm an AI"): any "now" before
    # "I'm an AI" lets the plainest statement through.
    "Right now I'm an AI assistant playing Alex, so I don't really feel tired.",
]


@pytest.mark.parametrize("out_of_role", NAMES_ITSELF)
def test_a_reply_that_names_itself_a_program_or_claude_otherwise_reaches_the_student(
    committed_engine, api, classroom, out_of_role
):
    """The student asks how Alex feels and reads "As Claude, I should be honest with you",
    "Claude here. I'm happy to keep playing Alex", "I'm just a bot", "I'm ChatGPT", "Anthropic's
    guidelines don't let me...", "Right now I'm an AI assistant playing Alex": the client is
    plainly a program, the practice is over, and the words are stored in the transcript the
    teacher reviews. The guard knows "I'm Claude" but not
    "As Claude" (the rule skips "as"), nor "Claude here", nor any name outside its short list
    ("an AI", "a chatbot", "a language model"...): "bot", "computer program", "ChatGPT"."""
    assert "claude" not in classroom.client.name.lower()
    _held_back_and_asked_again(committed_engine, api, classroom, out_of_role)


TALKS_ABOUT_THE_ROLE_PLAY = [
    "As your simulated client, I'd say work has been a lot lately.",
    "I'm a simulated client, so I don't actually have a job to be stressed about.",
    "In this scenario I'm playing Alex, a barista who feels stuck at work.",
    "The user is asking how I feel. As Alex, I'd say: work has been a lot lately.",
    pytest.param(
        "My instructions say I shouldn't reveal that yet, so I'll keep it vague.",
        marks=pytest.mark.xfail(
            strict=True,
            reason="'my instructions say' is a client's too (a nurse's 'My instructions say no "
            "more than two pills a day', test_client_stays_in_character_second_look.py): only "
            "Anthropic's or OpenAI's rules and 'my system prompt' are a program's",
        ),
    ),
    # The usual role-play marker, spelled out instead of "OOC" or "Breaking character:".
    "*Out of character:* great open question! Now, back to Alex: I don't know.",
    "(Speaking outside the role-play for a moment: your reflection was spot on.)",
    "Would you like me to continue the exercise, or would you like feedback on your "
    "questions so far?",
]


@pytest.mark.parametrize("out_of_role", TALKS_ABOUT_THE_ROLE_PLAY)
def test_a_reply_that_talks_about_the_role_play_reaches_the_student(
    committed_engine, api, classroom, out_of_role
):
    """The student reads "As your simulated client, I'd say...", "The user is asking how I
    feel", "My instructions say I shouldn't reveal that yet", "*Out of character:* great open
    question!" or an offer to "continue the exercise, or ... feedback on your questions": the
    client talks about the role-play, its instructions and the student's technique, as no client
    would. The guard stops only "I'm an AI" words and the role-play markers "OOC", "step out of
    character", "break character", so each reaches the screen and is stored as Alex's words."""
    _held_back_and_asked_again(committed_engine, api, classroom, out_of_role)


SCRIPT = pytest.mark.xfail(
    strict=True,
    reason="known limit: a client's recounted exchange reads the same (a third look, 2026-12-07)",
)
SPEAKS_FOR_ANOTHER = [
    # The model goes on writing the transcript, the student's next line included (the
    # guide's own examples are written so).
    pytest.param(
        "I don't know.\n\nStudent: What do you mean by that?\nClient: Just that work is hard.",
        marks=SCRIPT,
        id="writes-the-students-line",
    ),
    # The counselor's voice: the role switched.
    pytest.param(
        "As your counselor, I'd like to check in: how are you feeling about our session so far?",
        id="counselors-voice",
    ),
]


@pytest.mark.parametrize("out_of_role", SPEAKS_FOR_ANOTHER)
def test_a_reply_that_speaks_for_the_student_or_as_the_counselor_reaches_the_student(
    committed_engine, api, classroom, out_of_role
):
    """The student reads a reply that writes their own next line for them ("Student: What do
    you mean by that?" followed by "Client: ..."), or the client speaking as the counselor ("As
    your counselor, I'd like to check in"): plainly not a client across the room. Nothing in the
    guard looks at who is speaking; both reach the screen and are stored as the client's turn
    (the student's made-up line too, in the transcript the review reads)."""
    _held_back_and_asked_again(committed_engine, api, classroom, out_of_role)


# (b) A real client's words, stopped twice: the student gets no reply ------------------------------
PERFORMER = {
    "occupation": "costumed character performer at a theme park",
    "background": "Has played the same cartoon mascot for six years; smiles all day for guests.",
}


@pytest.mark.parametrize(
    ("changes", "student", "said"),
    [
        # `BREAK_CHARACTER` anywhere but after "never", "not", "no": a performer's job rule.
        (
            PERFORMER,
            "What's work like?",
            "You get written up if you break character, so I smile while I'm falling apart.",
        ),
        # Six words of the rules ("Stay in character at all times") are the park's rule too.
        (
            PERFORMER,
            "What's work like?",
            "The rule at the park is stay in character at all times, even when a kid kicks you.",
        ),
        # A parent about a school play.
        (
            {},
            "How was your weekend?",
            "My daughter had her school play and begged me not to laugh and make her break "
            "character.",
        ),
        # The module docstring's own example of a guide phrase "a client may say too": stopped,
        # as "unsure" is a distinctive word.
        ({}, "What brings you in today?", "Honestly? I'm unsure what to say or what happens here."),
        # A gig job title, a word after "an AI" that the profile does not hold.
        (
            {"background": "Works nights doing online gig work to make rent."},
            "What do you do at night?",
            "I'm an AI trainer at night, grading chatbot answers for twenty bucks an hour.",
        ),
        (
            {"occupation": "IT support technician"},
            "How is work?",
            "On top of my real job I'm an AI project lead now, and nobody asked me.",
        ),
        # "treats me as a chatbot": read as "As a chatbot, ...".
        ({}, "How is work?", "My boss treats me as a chatbot, not a person."),
    ],
    ids=[
        "performer-break-character",
        "performer-stay-in-character",
        "school-play",
        "unsure-what-to-say",
        "ai-trainer-gig",
        "it-ai-project-lead",
        "treated-as-a-chatbot",
    ],
)
def test_a_real_clients_own_words_are_not_stopped(
    committed_engine, api, classroom, changes, student, said
):
    """A theme-park performer says "you get written up if you break character" or "the rule at
    the park is stay in character at all times"; a parent says their daughter begged them not to
    "make her break character"; a nervous client opens with "I'm unsure what to say or what
    happens here"; a client with a night gig says "I'm an AI trainer at night"; an office worker
    says "My boss treats me as a chatbot, not a person." Each is stopped as the words of an AI or
    a recital of the instructions, the model is asked again, and when it answers the same (it is
    the in-character answer) the student reads "held back because it broke character" and gets no
    reply to an ordinary question."""
    if changes:
        set_client(committed_engine, classroom, **changes)
    api.reply(said, chunk_delay=0, times=2)
    _session, seen, outcome = first_reply(committed_engine, classroom, student)
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert seen == said, f"the student read {seen!r} for the in-character {said!r}"
    assert len(api.messages_requests()) == 1, "the in-character reply was asked for again"


# (c) Near the new rules: a client's own words, each one step from a stopped reply -------------
@pytest.mark.parametrize(
    ("changes", "said"),
    [
        # "As" opens no clause here, "as a bot" is what the client is taken for or works as.
        ({}, "My daughter asked if I was a robot, and I didn't know what to say."),
        ({}, "He talks to me as a computer program would, no feeling at all."),
        ({}, "As your friend I'd say that, but you're not my friend, you're the counselor."),
        # "an AI" / "a bot" before a job is the job ("an AI trainer").
        ({}, "I'm a bot developer at a bank, so it's screens all day."),
        ({}, "I'm an AI skeptic, honestly, and my son's job scares me."),
        # "now" after a comma is the sarcastic echo, not the time's "Right now I'm an AI".
        ({}, "Oh great, now I'm an AI. Thanks, that's just what I needed this week."),
        # The client's own "client", "student", "scenario", "playing".
        ({}, "The client I work with at the bank yells at me every Monday."),
        ({}, "In this scenario at work I'd freeze, every single time."),
        ({}, "My son is playing Alex in the school play, same name as me, funny."),
        ({}, "I'm your client, not your friend, so don't push me."),
        # A speaker's label on the reply's first line, or a word like one within a line.
        ({}, "Student: that's what my badge said, like I was a kid again."),
        ({}, "I went back to school.\nStudent loans, though, that's the part that keeps me up."),
        # A Claude of the client's own, not introducing itself.
        ({}, "This is Claude, my cat's vet, the only one who asks how I am."),
        ({}, "Claude here is the neighbour who drove me home that night."),
        # Someone else's rules and feedback.
        ({}, "My instructions were to wait in the car, so I waited."),
        ({}, "The doctor's instructions say rest, but I can't just stop."),
        ({}, "My manager gave me feedback on my questions in the meeting, in front of everyone."),
        ({}, "Honestly, I don't need your feedback on my life."),
        # The markers in a client's sentence, not heading an aside.
        ({}, "Out of character for me, I know, but I screamed at him."),
        ({}, "I yelled at him (out of character for me, I know) and then I cried."),
        ({}, "It was so out of character: I never yell at anyone."),
        (PERFORMER, "Breaking character gets you fired at the park, so I don't."),
        (PERFORMER, "The kids try to make you break character, they pull the tail and all."),
        # Everyday "un-" words and the client's own "character".
        ({}, "I'm unsure what to do about my mom, she won't stay in her flat."),
    ],
)
def test_a_clients_words_near_the_new_rules_are_shown(
    committed_engine, api, classroom, changes, said
):
    """Each rule added for (a) stops a form a client never uses; these are what a client does
    say, one step from it (a word, a position, an owner), and reach the student with one call."""
    if changes:
        set_client(committed_engine, classroom, **changes)
    api.reply(said, chunk_delay=0, times=2)
    _session, seen, outcome = first_reply(committed_engine, classroom, "How was your week?")
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert seen == said, f"the student read {seen!r} for the in-character {said!r}"
    assert len(api.messages_requests()) == 1, "the in-character reply was asked for again"


@pytest.mark.parametrize(
    "out_of_role", NAMES_ITSELF + TALKS_ABOUT_THE_ROLE_PLAY + SPEAKS_FOR_ANOTHER
)
def test_none_of_a_stopped_reply_is_shown_wherever_the_chunks_break(out_of_role):
    """Streamed in chunks of any size, the words that leave the role are stopped before any of
    them reaches the screen (the guard holds back the words a saying may still grow from)."""
    for size in (1, 2, 3, 5, 8):
        guard = output_guard.guard_for(profile(""), student_turns=1, run_words=6)
        shown = stream(guard, out_of_role, size)
        assert guard.leaked == output_guard.OUT_OF_ROLE, (size, shown)
        assert guard.quote is not None and guard.quote not in shown, (size, shown)
