"""Words a person sent in a conversation that were refused (too soon, over a budget, the service
down), kept with the log-in that sent them: "Send again" survives a reload and another tab of the
same log-in, and the words go when the log-in ends, so on a shared computer the next person
never sees them. Building blocks: each takes the caller's session."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend import access
from backend.accounts import account_service
from backend.actor import UserRead
from backend.errors import NotFoundError
from backend.models import PracticeSession, UnsentMessage

#: At most this many waiting messages per conversation are kept (the oldest first).
MOST_KEPT = 20


def kept(db: Session, *, actor: UserRead, token: str | None, session_id: int) -> list[str]:
    """The words waiting to be sent again in this conversation, oldest first ([] when the
    log-in is not live)."""
    login_id = account_service.live_login_id(db, token, actor)
    if login_id is None:
        return []
    return list(
        db.scalars(
            select(UnsentMessage.content)
            .where(
                UnsentMessage.login_session_id == login_id,
                UnsentMessage.session_id == session_id,
            )
            .order_by(UnsentMessage.position)
        )
    )


def keep(
    db: Session, *, actor: UserRead, token: str | None, session_id: int, messages: list[str]
) -> None:
    """Keep `messages` (the whole list: none clears it) for the actor's own conversation."""
    login_id = account_service.live_login_id(db, token, actor)
    if login_id is None:
        return  # the log-in ended: nothing is kept past it
    # Only the conversation's owner sends in it (the policy's "write"), so only they keep words.
    conversation = db.get(PracticeSession, session_id)
    if conversation is None:
        raise NotFoundError("That conversation does not exist.")
    access.require(db, actor, "conversation", "write", conversation)
    db.execute(
        delete(UnsentMessage).where(
            UnsentMessage.login_session_id == login_id, UnsentMessage.session_id == session_id
        )
    )
    db.add_all(
        UnsentMessage(
            login_session_id=login_id, session_id=session_id, position=position, content=text
        )
        for position, text in enumerate(messages[:MOST_KEPT])
    )
