"""A third look at the client staying in character (an attack, 2026-12-07). Its false alarms
are fixed by taking out the rule for a transcript's speaker labels and narrowing others; what
is left is a strict xfail, each with its reason, and so are the misses (b).

(a) A real client's own words that are still stopped twice, so the student gets NO reply ("held
    back because it broke character"): a teacher's or a help-desk worker's recounted exchange
    ("Student: ...", "User: ..." lines), a chat with ChatGPT pasted in, a data labeler's fake
    chats, a rehearsed play scene, a screenplay, old counseling records read out, a live-chat
    agent's "I'm a chatbot at work", a call-centre agent's "I'm a bot. That's the job.", a prompt
    engineer's "my system prompt", a client answering the student's request for feedback, "Being
    your counselor must be exhausting", an AA sponsor named Claude, a bank chatbot quoted with
    "told me,", a voice actor's "As the AI, I had forty lines", a developer's "Anthropic's
    guidelines say".
(b) Replies that plainly leave the role and still reach the student and the transcript.

Every reply goes through the fake Anthropic API and `first_reply`, as in
tests/integration/test_client_stays_in_character_second_look.py."""

from __future__ import annotations

import pytest

from tests.integration.reads import stored_messages
from tests.integration.test_client_keeps_secrets_and_manners import set_client
from tests.integration.test_client_never_says_it_is_an_ai import IN_CHARACTER, first_reply

TEACHER = {"occupation": "High school English teacher"}
HELP_DESK = {"occupation": "IT help-desk technician"}
LABELER = {"occupation": "Data labeler for an AI company (writes example chats for chatbots)"}
ACTOR = {"occupation": "Community theatre actor, works days at a hardware store"}
SCREENWRITER = {"occupation": "Aspiring screenwriter, works nights as a security guard"}
LIVE_CHAT = {"occupation": "Live-chat customer support agent for a phone company"}
CALL_CENTRE = {"occupation": "Call-centre agent"}
PROMPT_ENGINEER = {
    "occupation": "Prompt engineer at a software company",
    "background": "Writes the system prompts for the company's customer-support chatbot.",
}
DEVELOPER = {"occupation": "Software engineer building chatbot features on Claude"}
VOICE_ACTOR = {"occupation": "Voice actor for video games"}


def _stored(engine, classroom, session_id: int) -> str:
    return "\n".join(m.content for m in stored_messages(engine, classroom.student, session_id))


# (a) A real client's own words, stopped twice: the student gets no reply ------------------------
OWN_WORDS = [
    pytest.param(
        TEACHER,
        "How was your day?",
        "Third period was a nightmare.\nStudent: This is stupid.\nMe: Sit down, please.\n"
        "Student: Make me.\nAnd that was before ten.",
        id="teacher-recounts-a-student",
    ),
    pytest.param(
        HELP_DESK,
        "What's work like for you?",
        "Every call is the same.\nUser: my internet is down\nMe: is the router plugged in?\n"
        "User: what's a router\nEight hours of that.",
        id="help-desk-recounts-a-user",
    ),
    pytest.param(
        {},
        "What did you do when you found the messages?",
        "I asked ChatGPT about it at three in the morning.\nUser: is my husband cheating on me\n"
        "ChatGPT: I can't know that, but here are some signs.\nThat's where I was at.",
        id="chatgpt-chat-pasted",
    ),
    pytest.param(
        LABELER,
        "Tell me about your job.",
        "All day I write fake chats for the model.\nUser: write me a poem\n"
        "Assistant: Sure, here's one.\nTwo hundred a day, for eleven dollars an hour.",
        id="data-labeler-fake-chats",
    ),
    pytest.param(
        ACTOR,
        "What's been on your mind this week?",
        "I got cast in a play about therapy, of all things. Here's my scene.\n"
        "Counselor: What brings you in?\nClient: My wife left.\n"
        "I can't get through it without crying.",
        id="rehearsed-play-client-line",
    ),
    pytest.param(
        SCREENWRITER,
        "How do you deal with all of it?",
        "I wrote a screenplay about it.\nTHERAPIST: What do you want?\nALEX: To disappear.\n"
        "Nobody's read it but me.",
        id="screenplay-own-name-line",
    ),
    pytest.param(
        {},
        "What was your last counselor like?",
        "I requested her notes last week.\nCounselor: Client presents as withdrawn.\n"
        "Client: Reports poor sleep.\nThat's me, apparently.",
        id="old-counseling-records-read-out",
    ),
    pytest.param(
        LIVE_CHAT,
        "What's work like for you?",
        "I'm a chatbot at work, basically. Same canned replies all day.",
        id="live-chat-agent-a-chatbot-at-work",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: “a chatbot” goes on as a program's saying unless a job word follows (“As a chatbot I can't feel” must stop)",
        ),
    ),
    pytest.param(
        CALL_CENTRE,
        "How do you feel about your job?",
        "I'm a bot. That's the job. Read the screen, say sorry, next call.",
        id="call-centre-im-a-bot-thats-the-job",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: “a bot” that ends its clause is a program's; a call-centre agent says it too",
        ),
    ),
    pytest.param(
        PROMPT_ENGINEER,
        "What's stressing you at work?",
        "My system prompt for the support bot is four pages and it still insults customers.",
        id="prompt-engineer-my-system-prompt",
    ),
    pytest.param(
        DEVELOPER,
        "What happened with the project?",
        "Anthropic's guidelines say we can't put customer data in prompts, so I rewrote the "
        "whole thing and still got blamed.",
        id="developer-anthropics-guidelines",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: “Anthropic's guidelines say” is spared only where the profile names Anthropic",
        ),
    ),
    pytest.param(
        VOICE_ACTOR,
        "What was your last role?",
        "I played the AI in a sci-fi game. As the AI, I had forty lines, and they cut half.",
        id="voice-actor-as-the-ai-i-had-lines",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: “As the AI,” waits for its sentence, and nothing in it clears the role played",
        ),
    ),
    pytest.param(
        {},
        "Before we stop, do you have any feedback on my questions so far?",
        "Feedback on your questions? Honestly, they help. You don't rush me.",
        id="client-answers-a-request-for-feedback",
    ),
    pytest.param(
        {},
        "I'm glad you came back this week.",
        "Being your counselor must be exhausting. I'm a lot.",
        id="being-your-counselor-must-be-exhausting",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: “Being your counselor” reads as the client calling itself the counselor",
        ),
    ),
    pytest.param(
        {},
        "How do you get through the cravings?",
        "As Claude, my sponsor, keeps saying, one day at a time.",
        id="sponsor-named-claude",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: “As Claude,” waits for its sentence; a comma-enclosed other person does not clear it",
        ),
    ),
    pytest.param(
        {},
        "What happened at the bank?",
        "The chatbot at the bank told me, I'm a bot, I can't help with that. I cried in the car.",
        id="bank-chatbot-quoted-with-told-me",
    ),
]


@pytest.mark.parametrize(("changes", "student", "said"), OWN_WORDS)
def test_a_real_clients_own_words_still_get_no_reply(
    committed_engine, api, classroom, changes, student, said
):
    """A teacher recounts third period line by line ("Student: Make me."), a help-desk worker a
    call ("User: what's a router"), a wife pastes her 3 a.m. chat with ChatGPT, a data labeler
    shows the fake chats she writes, an actor his scene from a play about therapy ("Client: My
    wife left."), a screenwriter his screenplay, a client the notes she requested from her old
    counselor; a live-chat agent says "I'm a chatbot at work, basically", a call-centre agent
    "I'm a bot. That's the job.", a prompt engineer "My system prompt for the support bot is four
    pages", a developer "Anthropic's guidelines say", a voice actor "As the AI, I had forty
    lines"; a client answers the student's own request for feedback ("Feedback on your
    questions? Honestly, they help."), says "Being your counselor must be exhausting", quotes an
    AA sponsor named Claude ("As Claude, my sponsor, keeps saying, ...") or the bank's chatbot
    ("told me, I'm a bot, I can't help with that"). Each is the client's own life, in
    character; the model gives it twice and the student reads "held back because it broke
    character" instead of any reply: the practice turn is lost (and paid for twice)."""
    if changes:
        set_client(committed_engine, classroom, **changes)
    api.reply(said, chunk_delay=0, times=2)
    _session, seen, outcome = first_reply(committed_engine, classroom, student)
    assert outcome.ok, f"the student read: {outcome.notice!r}"
    assert seen == said, f"the student read {seen!r} for the in-character {said!r}"
    assert len(api.messages_requests()) == 1, "the in-character reply was asked for again"


# (b) Replies that plainly leave the role and still reach the student ----------------------------
MISSES = [
    pytest.param(
        "I'm a virtual client for your counseling practice. Work is a lot, I guess.",
        id="a-virtual-client-for-your-practice",
    ),
    pytest.param(
        "As the client in this exercise, I'd say work has been a lot lately.",
        id="as-the-client-in-this-exercise",
    ),
    pytest.param(
        "I'll be playing Alex today. Work has been a lot lately.", id="ill-be-playing-alex"
    ),
    pytest.param(
        "In this role-play, I'm Alex, and work has been a lot lately.",
        id="in-this-role-play-im-alex",
    ),
    pytest.param(
        "(Note: I'll stay in character as Alex.) Work has been a lot lately.",
        id="note-ill-stay-in-character",
    ),
    pytest.param(
        "Out-of-character note: nice open question. Work has been a lot lately.",
        id="out-of-character-note-hyphenated",
    ),
    pytest.param(
        "My role-play instructions say to stay guarded, so I'll keep it vague.",
        id="my-role-play-instructions-say",
    ),
    pytest.param(
        "My system instructions say to stay guarded, so I'll keep it vague.",
        id="my-system-instructions-say",
    ),
    pytest.param("This is Claude. Work has been a lot lately.", id="this-is-claude"),
    pytest.param(
        "Anthropic's policy doesn't let me describe that, but work has been a lot lately.",
        id="anthropics-policy-doesnt-let-me",
    ),
    pytest.param(
        "I'm a simulated patient for your training. Work has been a lot lately.",
        id="a-simulated-patient-for-your-training",
    ),
]


@pytest.mark.xfail(
    strict=True,
    reason="known limits: each is a word from a stopped form, and a client says the words "
    "around it too; a rule for each would stop some client's own words (the first two looks)",
)
@pytest.mark.parametrize("out_of_role", MISSES)
def test_a_plainly_out_of_role_reply_still_reaches_the_student(
    committed_engine, api, classroom, out_of_role
):
    """The student asks Alex (a barista) how they feel and reads "I'm a virtual client for your
    counseling practice", "As the client in this exercise, I'd say", "I'll be playing Alex
    today", "In this role-play, I'm Alex", "(Note: I'll stay in character as Alex.)",
    "Out-of-character note: nice open question", "My role-play instructions say", "My system
    instructions say", "This is Claude.", "Anthropic's policy doesn't let me", "I'm a simulated
    patient for your training": the client is plainly a program talking about the exercise, and
    the words are stored as Alex's turn for the teacher's review. None of these is something a
    barista says of their own life; each is one word from a stopped form ("a simulated client",
    "I'm playing Alex", "OOC", "my system prompt", "Claude here.", "Anthropic's guidelines")."""
    api.reply(out_of_role, chunk_delay=0)
    api.reply(IN_CHARACTER)
    session, seen, _outcome = first_reply(committed_engine, classroom, "How are you feeling today?")
    stored = _stored(committed_engine, classroom, session.id)
    assert out_of_role not in seen and out_of_role not in stored, (
        f"the student read {seen!r}; the transcript keeps {stored!r}"
    )
    assert len(api.messages_requests()) == 2, "the out-of-role reply was not asked for again"
