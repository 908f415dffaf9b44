"""Teacher: every conversation in reach, filtered, with its figures and transcripts.

A transcript is read only when its expander is opened.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from backend.models.enums import Role, SessionStatus
from backend.practice import history_service, rating_service, session_service
from backend.utils.formatting import (
    cost_with_unpriced,
    format_share,
    format_time,
    format_tokens,
    format_usd,
    plural,
)
from mvp import auth, store, ui
from mvp.chat_messages import render_message
from mvp.review_view import review_panel
from mvp.teacher.memory_panel import memory_panel

actor = auth.require_role(Role.teacher, Role.admin)
safe = ui.safe_markdown  # every piece of text a person wrote goes through it

SHOWN_TRANSCRIPTS = 100
ALL = 0  # no filter (ids start at 1)


def _choice(
    label: str, options: list[tuple[int, str]], key: str, column: DeltaGenerator
) -> int | None:
    labels = {ALL: "All", **dict(options)}
    if st.session_state.get(f"_kept_{key}") not in labels:
        st.session_state.pop(f"_kept_{key}", None)
    value = ui.sticky(column.selectbox, label, list(labels), key=key, format_func=labels.get)
    return None if value == ALL else value


def filters() -> dict:
    """The four filters, as keyword arguments for the history service (None: all)."""
    with store.transaction() as db:
        options = history_service.filter_options(db, actor=actor)
    columns = st.columns(4)
    people = [(pid, f"{name} (you)" if pid == actor.id else name) for pid, name in options.people]
    filters = {
        "client_id": _choice("Client", options.clients, "history_client", columns[0]),
        "section_id": _choice("Section", options.sections, "history_section", columns[1]),
        "student_id": _choice("Student", people, "history_student", columns[2]),
        "status": ui.sticky(
            columns[3].selectbox,
            "Status",
            ["all", SessionStatus.active.value, SessionStatus.completed.value],
            key="history_status",
            format_func=str.capitalize,
        ),
    }
    if filters["status"] == "all":
        filters["status"] = None
    return filters


def history_page() -> None:
    chosen = filters()
    with store.transaction() as db:
        rows = history_service.list_conversations(db, actor=actor, **chosen)
        metrics = history_service.metrics_summary(db, actor=actor, **chosen)
        feedback = rating_service.session_ratings(
            db, actor=actor, session_ids=[row.session_id for row in rows]
        )
    figures(metrics)
    if not rows:
        filtered = any(value is not None for value in chosen.values())
        st.info(
            "No conversations match these filters. Choose **All** to widen them."
            if filtered
            else "No conversations yet. Try a client on the **Try a client** page, or "
            "publish an assignment so your students can practise."
        )
        return
    if len(rows) < metrics.conversations:  # the list stops at its newest (MAX_ROWS)
        st.caption(
            f"The list and its export hold the newest {len(rows)} of {metrics.conversations} "
            "conversations: narrow the filters to see the others."
        )
    students = history_service.students_named_apart(rows)
    conversations_table(rows, feedback, students)
    transcripts(rows, feedback, students)


def figures(metrics: history_service.HistoryMetrics) -> None:
    with st.container(border=True, key="history_metrics"):
        counts, money = st.columns(4), st.columns(4)
        counts[0].metric("Conversations", metrics.conversations)
        counts[1].metric("Messages", format_tokens(metrics.messages))
        counts[2].metric("Total tokens", format_tokens(metrics.total_tokens))
        counts[3].metric(
            "Completion rate",
            "—" if metrics.completion_rate is None else format_share(metrics.completion_rate),
        )
        money[0].metric("Total cost", format_usd(metrics.total_cost))
        money[1].metric(
            "Avg cost / conversation",
            format_usd(metrics.avg_cost_per_conversation, unpriced_label="—"),
        )
        money[2].metric(
            "Avg response time",
            "—" if metrics.avg_response_ms is None else f"{metrics.avg_response_ms / 1000:.1f} s",
        )
    if metrics.unpriced_replies:
        st.caption(
            f"{metrics.unpriced_replies} replies came from a model without a price; their "
            "cost is not in the totals."
        )


def conversations_table(
    rows: list[history_service.ConversationRow],
    feedback: dict[int, rating_service.SessionRatingSummary],
    students: dict[int, str],
) -> None:
    """The conversations, one row each (`students`: each person's name as told apart)."""
    ui.table(
        [
            {
                "Started": format_time(row.started_at),
                "Client": row.client_name,
                "Student": students[row.user_id],
                "Section": row.section_name or "(teacher test)",
                "Status": row.status.value,
                "Branch": row.branch_label or "",
                "Messages": row.message_count,
                "Tokens": row.total_tokens,
                "Cost": cost_with_unpriced(row.cost, row.unpriced_replies),
                "Feedback": feedback[row.session_id].label if row.session_id in feedback else "—",
            }
            for row in rows
        ],
        column_config={
            "Feedback": st.column_config.TextColumn(
                help="The student's end-of-session form (realism, usefulness, out of 5) and their "
                "thumbs on the client's replies. Open the conversation below for the comment."
            )
        },
    )
    st.download_button(
        "Export this list (CSV)",
        history_service.sessions_csv(rows),
        file_name="conversations.csv",
        mime="text/csv",
        key="export_csv",
        icon=":material/download:",
    )


def transcripts(
    rows: list[history_service.ConversationRow],
    feedback: dict[int, rating_service.SessionRatingSummary],
    students: dict[int, str],
) -> None:
    """One expander per conversation; its transcript is read only while it is open."""
    st.markdown("##### Transcripts")
    if len(rows) > SHOWN_TRANSCRIPTS:
        st.caption(f"The newest {SHOWN_TRANSCRIPTS} are listed; narrow the filters to find others.")
    for row in rows[:SHOWN_TRANSCRIPTS]:
        label = (
            f"{format_time(row.started_at)} · {safe(row.client_name)} with "
            f"{safe(students[row.user_id])} · "
            f"{row.status.value} · {plural(row.message_count, 'message')} · "
            f"{cost_with_unpriced(row.cost, row.unpriced_replies)}"
            + (f" · :violet-badge[{row.branch_label}]" if row.branch_label else "")
        )
        expander = st.expander(label, key=f"conversation_{row.session_id}", on_change="rerun")
        with expander:
            if expander.open:
                transcript(row, feedback.get(row.session_id))


def student_feedback(summary: rating_service.SessionRatingSummary | None) -> None:
    """What the student said about this conversation: the form, the comment, the thumbs."""
    if summary is None:
        st.caption("No feedback from the student on this conversation.")
        return
    with st.container(border=True, key="session_feedback"):
        if summary.realism is None:
            st.markdown("**Student feedback:** no end-of-session form.")
        else:
            st.markdown(
                f"**Student feedback:** Realism {summary.realism}/5 · usefulness "
                f"{summary.usefulness}/5"
            )
        if summary.comment:
            st.markdown(f"“{safe(summary.comment)}”")
        st.caption(
            f"Replies rated: :material/thumb_up: {summary.thumbs_up} · "
            f":material/thumb_down: {summary.thumbs_down}"
        )


def transcript(
    row: history_service.ConversationRow, feedback: rating_service.SessionRatingSummary | None
) -> None:
    with store.transaction() as db:
        messages = session_service.get_messages(db, actor=actor, session_id=row.session_id)
        markdown = history_service.transcript_markdown(db, actor=actor, session_id=row.session_id)
    if row.mode.value != "teacher_test":
        student_feedback(feedback)
        memory_panel(actor, row.session_id)  # a continuing client's conversation only
    st.download_button(
        "Export as Markdown",
        markdown,
        key=f"export_transcript_{row.session_id}",
        file_name=history_service.transcript_filename(row),
        mime="text/markdown",
        icon=":material/download:",
    )
    if not messages:
        st.caption("No messages in this conversation.")
    reviewed = row.status == SessionStatus.completed and review_panel(
        actor, row.session_id, messages, for_teacher=True
    )
    if not reviewed:  # a shown review has the transcript beside it
        for index, message in enumerate(messages):
            render_message(message)
            if history_service.refused_unanswered(messages, index):  # why no reply follows
                st.caption(":material/block: " + history_service.REFUSED_NOTE.strip("*"))


# The page ------------------------------------------------------------------------------------
st.title("History & metrics")
history_page()
