"""Words a person sent in a conversation that were refused (too soon, over a budget, the service
down), kept with the log-in that sent them: "Send again" survives a reload and another tab of the
same log-in, and the words go when the log-in ends, so on a shared computer the next person
never sees them. Every tab of the log-in adds to and takes from one list, so words refused in
two tabs are both kept and words sent from one tab are not sent again from another. Building
blocks: each takes the caller's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from backend import access
from backend.accounts import account_service
from backend.actor import UserRead
from backend.config import get_settings
from backend.errors import NotFoundError
from backend.models import PracticeSession, UnsentMessage

#: Past this many waiting messages per conversation (the oldest first), each new one joins the
#: last (as "Send again" would send them: a blank line apart), or starts a row of its own when
#: the last is too full to take it: nothing typed is dropped.
MOST_KEPT = 20
#: Between two waiting messages sent as one.
JOINER = "\n\n"


def kept(db: Session, *, actor: UserRead, token: str | None, session_id: int) -> list[str]:
    """The words waiting to be sent again in this conversation, oldest first ([] when the
    log-in is not live)."""
    login_id = account_service.live_login_id(db, token, actor)
    return _kept(db, login_id, session_id) if login_id is not None else []


def add(
    db: Session, *, actor: UserRead, token: str | None, session_id: int, text: str
) -> list[str]:
    """Keep `text` after the words kept already (any tab's); the list now."""
    login_id = _owned(db, actor, token, session_id)
    if login_id is None:
        return [text]  # the log-in ended: shown in this run, kept nowhere
    words = _kept(db, login_id, session_id)
    if len(words) >= MOST_KEPT:
        last = db.scalars(_rows(login_id, session_id)).all()[-1]
        if len(last.content + JOINER + text) <= get_settings().message_max_chars:
            last.content += JOINER + text
            db.flush()
            return _kept(db, login_id, session_id)
    position = db.scalar(
        select(func.coalesce(func.max(UnsentMessage.position), -1) + 1).where(
            UnsentMessage.login_session_id == login_id, UnsentMessage.session_id == session_id
        )
    )
    db.add(
        UnsentMessage(
            login_session_id=login_id, session_id=session_id, position=position, content=text
        )
    )
    return [*words, text]


def remove(
    db: Session, *, actor: UserRead, token: str | None, session_id: int, sent: list[str]
) -> list[str]:
    """Take the words just sent (each its oldest copy) off the list; the list now. Where another
    tab joined new words to words this one sent meanwhile, the new words stay."""
    login_id = _owned(db, actor, token, session_id)
    if login_id is None:
        return []
    rows = db.scalars(_rows(login_id, session_id)).all()
    left = list(sent)
    for row in rows:
        if row.content in left:
            left.remove(row.content)
            db.delete(row)
            continue
        joined = next((words for words in left if row.content.startswith(words + JOINER)), None)
        if joined is not None:
            left.remove(joined)
            row.content = row.content.removeprefix(joined + JOINER)
    db.flush()
    return _kept(db, login_id, session_id)


def clear(db: Session, *, actor: UserRead, token: str | None, session_id: int) -> None:
    """Forget the words kept for this conversation (Discard, Start over)."""
    login_id = _owned(db, actor, token, session_id)
    if login_id is not None:
        db.execute(
            delete(UnsentMessage).where(
                UnsentMessage.login_session_id == login_id, UnsentMessage.session_id == session_id
            )
        )


def _owned(db: Session, actor: UserRead, token: str | None, session_id: int) -> int | None:
    """The live log-in's id, once the policy lets the actor send in this conversation."""
    login_id = account_service.live_login_id(db, token, actor)
    if login_id is None:
        return None  # the log-in ended: nothing is kept past it
    conversation = db.get(PracticeSession, session_id)
    if conversation is None:
        raise NotFoundError("That conversation does not exist.")
    # Only the conversation's owner sends in it (the policy's "write"), so only they keep words.
    access.require(db, actor, "conversation", "write", conversation)
    return login_id


def _rows(login_id: int, session_id: int) -> Select[Any]:
    return (
        select(UnsentMessage)
        .where(UnsentMessage.login_session_id == login_id, UnsentMessage.session_id == session_id)
        .order_by(UnsentMessage.position)
    )


def _kept(db: Session, login_id: int, session_id: int) -> list[str]:
    return [row.content for row in db.scalars(_rows(login_id, session_id))]
