"""The quick-start steps of each role: the Help page shows them whole, the first screens the
next one (shared, so the two never disagree)."""

from __future__ import annotations

from backend.models.enums import Role

#: (step, the page it happens on, relative to mvp/): what each role does first, in order.
STEPS: dict[Role, list[tuple[str, str]]] = {
    Role.admin: [
        (
            "**Create a teacher account** (Accounts): a username, a display name and a first "
            "password to hand over. Teachers create the clients, sections and assignments.",
            "admin/accounts.py",
        ),
        (
            "**Watch the cost** (Figures): today's spend against the daily budget, usage by "
            "day and hour, and the cost per client, teacher and model.",
            "admin/figures.py",
        ),
        (
            "**Read what went wrong** (Error log): failed API calls, budget alerts and the "
            "problems people report from any page.",
            "admin/error_log.py",
        ),
    ],
    Role.teacher: [
        (
            "**Write a client** (Clients): a name, 2-5 traits and a presenting concern are "
            "enough; hidden information is told only when the student earns it.",
            "teacher/clients.py",
        ),
        (
            "**Run a client check** (Client check): probe conversations that test whether the "
            "client stays in role, keeps its secrets and pushes back.",
            "teacher/client_check.py",
        ),
        (
            "**Make a section and an assignment** (Sections & assignments): give students the "
            "section's join code, add the client to an assignment and publish it.",
            "teacher/sections.py",
        ),
        (
            "**Work through the review queue** (Reviews): read each ended session's review, "
            "change what you disagree with, and release it to the student.",
            "teacher/reviews.py",
        ),
        (
            "**See the practised moments** (History & metrics): a student's tries of one moment "
            "of a session are listed as *branch of the session of … at turn N*. In your own "
            "test chats, *Practise this moment* under a turn tries another reply there.",
            "teacher/history.py",
        ),
        (
            "**Assign drills** (Drill sets): a set of 5-10 short items on one skill (reflect, "
            "open questions, sustain talk, asking permission) from the built-in bank, your own, "
            "or drafted by the model from one of your clients (drafts wait for you to accept "
            "them); assign it to a section and read each student's hit rate per skill under "
            "*Results*.",
            "teacher/drills.py",
        ),
        (
            "**Make a client continuing** (tick *Continuing client* on an assignment): a student "
            "meets the same client over several sessions, and the client remembers them. After "
            "each session its memory is written; read and edit it under *Client memory* beside "
            "the conversation (History & metrics) before the next session.",
            "teacher/sections.py",
        ),
    ],
    Role.student: [
        (
            "**Join your section** (Practice → Join a section) with the code from your teacher.",
            "student/practice.py",
        ),
        (
            "**Practise** (Practice): open a client's card and talk as you would in a session; "
            "end the session when you are done.",
            "student/practice.py",
        ),
        (
            "**Read your review**: it follows your session on the Practice page as soon as you "
            "end it (or later, when your teacher reads reviews first and releases it), and stays "
            "in My sessions: scores tied to your own turns, and better replies to try next time.",
            "student/my_sessions.py",
        ),
        (
            "**Practise this moment** (the button under a review's *Try instead* item, or "
            "under any of your turns): the conversation rewinds to that moment; your new reply "
            "is coded at once, then the client answers. Try again as often as you like.",
            "student/my_sessions.py",
        ),
        (
            "**Do your drills** (Drills): one client statement at a time; type your reply and "
            "Submit: it is coded at once and you see whether it hit the skill, then the model "
            "answer. Retry as often as you like; *My progress* shows your hit rate per skill. "
            "A review's *Drill next* button opens the drill for its weakest skill.",
            "student/drills.py",
        ),
        (
            "**Meet a continuing client again** (Practice): when the conversation says "
            "*Continuing client: … remembers your earlier sessions*, the client picks up where "
            "you left off and may refer back to what you talked about and agreed.",
            "student/practice.py",
        ),
    ],
}

TEACHER_START = (
    "**Start here:** 1. write your first client in this form and save it; 2. run a **Client "
    "check** on it; 3. in **Sections & assignments**, make a section, share its join code and "
    "publish an assignment with the client."
)
ADMIN_START = (
    "**Start here:** there are no teacher accounts yet. Create one in **Accounts**; the teacher "
    "then writes clients and invites students."
)
