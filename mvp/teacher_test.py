"""Teacher workspace: author clients, test-chat them, review history and metrics, run sections.

Four tabs; only the open one runs. Widgets that change data use callbacks, so the page that
follows already shows the change (and any refusal arrives as a message at the top).
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import streamlit as st

from backend.errors import AppError, ValidationError
from backend.models.enums import (
    PERSONALITY_TRAITS,
    CommunicationStyle,
    Difficulty,
    Role,
    SessionStatus,
)
from backend.schemas.clients import ClientRead
from backend.schemas.sections import AssignmentInput
from backend.services import (
    assignment_service,
    client_service,
    conversation_service,
    feedback_service,
    history_service,
    section_service,
    session_service,
)
from backend.utils.formatting import format_time, format_tokens, format_usd
from mvp import utils
from mvp.chat import chat_panel, render_message

actor = utils.require_role(Role.teacher, Role.admin)
database = utils.database()
safe = utils.safe_markdown  # every piece of text a person wrote goes through it

TABS = ("Clients", "Test conversation", "History & metrics", "Sections & assignments")
STYLE_HINTS = {
    CommunicationStyle.plain: "plain: answers directly",
    CommunicationStyle.upset: "upset: irritable, quick to feel judged",
    CommunicationStyle.verbose: "verbose: long, detailed answers",
    CommunicationStyle.reserved: "reserved: short answers, needs drawing out",
    CommunicationStyle.tangent: "tangent: drifts to other topics",
    CommunicationStyle.pleasing: "pleasing: says what you want to hear",
}
CLIENT_DEFAULTS = {
    "name": "",
    "age": None,
    "gender": "",
    "occupation": "",
    "cultural_background": "",
    "background": "",
    "presenting_concern": "",
    "challenges": "",
    "personality_traits": [],
    "communication_style": CommunicationStyle.plain.value,
    "difficulty": Difficulty.beginner.value,
    "learning_goals": "",
    "hidden_information": "",
    "opening_line": "",
    "hidden_reveal_after_turns": None,
}
NUMBER_FIELDS = {"age", "hidden_reveal_after_turns"}  # empty is None, not ""
FORM_TARGET = "client_form_target"  # None (closed), "new", or the id of the client being edited
FORM_ERRORS = "client_form_errors"  # field -> why the last save was refused
FORM_NOTICE = "client_form_notice"  # the refusal itself, shown next to the Save button


def _clients(include_archived: bool = False) -> list[ClientRead]:
    with utils.transaction() as db:
        return client_service.list_clients(db, actor=actor, include_archived=include_archived)


# Client form -----------------------------------------------------------------------------------
def _fill_form(client: ClientRead | None) -> None:
    """Put a client's values (or blanks) into the form's widgets."""
    for field, default in CLIENT_DEFAULTS.items():
        value = getattr(client, field) if client is not None else default
        if field in {"communication_style", "difficulty"}:
            value = str(value.value if hasattr(value, "value") else value)
        elif value is None and field not in NUMBER_FIELDS:
            value = ""
        st.session_state[f"client_{field}"] = list(value) if isinstance(value, list) else value


def _open_form(target: str | int, client: ClientRead | None = None) -> None:
    st.session_state[FORM_TARGET] = target
    _clear_refusal()
    _fill_form(client)


def _close_form() -> None:
    st.session_state[FORM_TARGET] = None
    _clear_refusal()
    _fill_form(None)


def _clear_refusal() -> None:
    st.session_state[FORM_ERRORS] = {}
    st.session_state.pop(FORM_NOTICE, None)


def _save_client() -> None:
    """Save the form; a refusal says why under each field concerned and next to the button
    (the last refusal's messages go first: none of them may outlive the problem)."""
    _clear_refusal()
    target = st.session_state.get(FORM_TARGET)
    data = {field: st.session_state.get(f"client_{field}") for field in CLIENT_DEFAULTS}
    try:
        with utils.transaction(write=True) as db:
            if target == "new":
                saved = client_service.create_client(db, actor=actor, data=data)
            else:
                saved = client_service.update_client(
                    db, actor=actor, client_id=int(target), data=data
                )
    except AppError as error:
        st.session_state[FORM_ERRORS] = getattr(error, "field_errors", {})
        st.session_state[FORM_NOTICE] = error.message
        return
    _close_form()
    utils.flash(f"Saved {safe(saved.name)}. Press **Test conversation** on its card to try it.")


def client_form(target: str | int) -> None:
    editing = target != "new"
    if "client_name" not in st.session_state:  # widgets forgotten after another tab was open
        existing = None
        if editing:
            with utils.transaction() as db:
                existing = client_service.get_client(db, actor=actor, client_id=int(target))
        _fill_form(existing)
    errors = st.session_state.get(FORM_ERRORS, {})
    title = f"Edit {st.session_state['client_name'] or 'client'}" if editing else "New client"
    with st.container(border=True, key="client_form_box"):
        st.markdown(f"#### {safe(title)}")
        with st.form("client_form", border=False):
            left, right = st.columns(2)
            with left:
                st.text_input("Name *", key="client_name", max_chars=100)
                utils.field_error(errors, "name")
                # No min/max on the widget: the browser would refuse out-of-range ages silently
                # (a hint on hover); the service says why under the field instead.
                st.number_input(
                    "Age",
                    key="client_age",
                    step=1,
                    placeholder="optional",
                    help="Between 5 and 110 (optional).",
                )
                utils.field_error(errors, "age")
                st.text_input("Gender / pronouns", key="client_gender", max_chars=60)
                utils.field_error(errors, "gender")
            with right:
                st.text_input("Occupation", key="client_occupation", max_chars=120)
                utils.field_error(errors, "occupation")
                st.text_input(
                    "Cultural background", key="client_cultural_background", max_chars=200
                )
                utils.field_error(errors, "cultural_background")
                st.multiselect(
                    "Personality traits * (choose 2 to 5)",
                    PERSONALITY_TRAITS,
                    key="client_personality_traits",
                    max_selections=5,
                )
                utils.field_error(errors, "personality_traits")
            style, difficulty = st.columns(2)
            with style:
                st.selectbox(
                    "Communication style",
                    [s.value for s in CommunicationStyle],
                    key="client_communication_style",
                    format_func=lambda value: STYLE_HINTS[CommunicationStyle(value)],
                )
                utils.field_error(errors, "communication_style")
            with difficulty:
                st.selectbox(
                    "Difficulty",
                    [d.value for d in Difficulty],
                    key="client_difficulty",
                    format_func=str.capitalize,
                )
                utils.field_error(errors, "difficulty")
            for field, label, help_text in (
                (
                    "presenting_concern",
                    "Presenting concern",
                    "Why the client comes in, in their words or yours.",
                ),
                ("background", "Background", "History, family, work: what shaped them."),
                (
                    "challenges",
                    "Challenges in the conversation",
                    "What makes this client hard to help.",
                ),
                ("learning_goals", "Learning goals", "What students should practise."),
                (
                    "hidden_information",
                    "Hidden information",
                    "Revealed only when a student earns trust. Never shown to students.",
                ),
            ):
                st.text_area(
                    label, key=f"client_{field}", help=help_text, max_chars=4000, height=90
                )
                utils.field_error(errors, field)
            st.text_input(
                "Opening line (optional)",
                key="client_opening_line",
                max_chars=1000,
                help="The client's first words when a student says hello.",
            )
            utils.field_error(errors, "opening_line")
            st.number_input(
                "Hidden information may be said word for word after this many "
                "student turns (empty: never)",
                key="client_hidden_reveal_after_turns",
                step=1,
                placeholder="never",
                help="Until then (or never), a reply that repeats the hidden "
                "information is held back and the client stays in character.",
            )
            utils.field_error(errors, "hidden_reveal_after_turns")
            _form_refusal(errors)
            st.form_submit_button(
                "Save client",
                key="save_client",
                type="primary",
                icon=":material/save:",
                on_click=utils.guarded(_save_client),
            )
        st.button("Cancel", key="cancel_client", on_click=_close_form)


def _form_refusal(errors: dict[str, str]) -> None:
    """Why the last save was refused, next to the Save button (with any field message that has
    no field of its own in the form)."""
    notice = st.session_state.get(FORM_NOTICE)
    if not notice:
        return
    shown = {f"client_{field}" for field in CLIENT_DEFAULTS}
    elsewhere = [message for field, message in errors.items() if f"client_{field}" not in shown]
    st.warning(" ".join([notice, *elsewhere]), icon=":material/warning:")


# Client cards ----------------------------------------------------------------------------------
def _start_test(client_id: int) -> None:
    session = conversation_service.start_conversation(database, actor=actor, client_id=client_id)
    st.session_state["test_client_id"] = st.session_state["_kept_test_client_id"] = client_id
    st.session_state["test_session_id"] = session.id
    st.session_state["teacher_tab"] = "Test conversation"


def _edit(client_id: int) -> None:
    with utils.transaction() as db:
        client = client_service.get_client(db, actor=actor, client_id=client_id)
    _open_form(client_id, client)


def _duplicate(client_id: int) -> None:
    with utils.transaction(write=True) as db:
        copy = client_service.duplicate_client(db, actor=actor, client_id=client_id)
    _open_form(copy.id, copy)
    utils.flash(f"Created {safe(copy.name)}. Change what you like and save.")


def _set_archived(client_id: int, archived: bool) -> None:
    with utils.transaction(write=True) as db:
        client = client_service.set_archived(
            db, actor=actor, client_id=client_id, archived=archived
        )
    if st.session_state.get(FORM_TARGET) == client_id:
        _close_form()
    utils.flash(
        f"{safe(client.name)} is archived: hidden from new conversations, history kept."
        if archived
        else f"{safe(client.name)} is back in your active clients."
    )


def client_card(client: ClientRead, feedback: feedback_service.ClientFeedback | None) -> None:
    with st.container(border=True, key=f"client_card_{client.id}"):
        age = f" · {client.age}" if client.age else ""
        archived = "  :gray-badge[archived]" if client.archived else ""
        st.markdown(f"**{safe(client.name)}**{age}{archived}")
        if client.summary:
            st.caption(safe(client.summary))
        st.markdown(
            " ".join(f":blue-badge[{trait}]" for trait in client.personality_traits)
            + f" :orange-badge[{client.difficulty.value}]"
        )
        count = client.conversation_count
        st.caption(
            f"{count} conversation{'s' if count != 1 else ''} · "
            f"{client.communication_style.value} style"
        )
        if feedback is not None:
            share = feedback.share
            st.caption(
                f"Feedback: {share.positive} of {share.total} positive ({share.percent:.0f}%)",
                help="Students' thumbs on this client's replies and their end-of-session "
                "forms (positive: realism and usefulness both 4 or 5 out of 5).",
            )
            if feedback.comments:
                with st.expander("What students said"):
                    for comment in feedback.comments:
                        st.markdown(f"“{safe(comment)}”")
        with st.expander("Details"):
            for label, value in (
                ("Gender", client.gender),
                ("Occupation", client.occupation),
                ("Cultural background", client.cultural_background),
                ("Presenting concern", client.presenting_concern),
                ("Background", client.background),
                ("Challenges", client.challenges),
                ("Learning goals", client.learning_goals),
                ("Hidden information (never shown to students)", client.hidden_information),
                ("Opening line", client.opening_line),
            ):
                if value:
                    st.markdown(f"**{label}:** {utils.escape_markdown(value)}")
            st.caption(f"Version {client.version} · updated {format_time(client.updated_at)}")
        st.button(
            "Test conversation",
            key=f"test_client_{client.id}",
            type="primary",
            icon=":material/chat:",
            width="stretch",
            disabled=client.archived,
            on_click=utils.guarded(_start_test),
            args=(client.id,),
        )
        edit, duplicate, archive = st.columns(3)
        edit.button(
            "Edit",
            key=f"edit_client_{client.id}",
            width="stretch",
            on_click=utils.guarded(_edit),
            args=(client.id,),
        )
        duplicate.button(
            "Copy",
            key=f"duplicate_client_{client.id}",
            width="stretch",
            help="Duplicate this client as a starting point for a new one.",
            on_click=utils.guarded(_duplicate),
            args=(client.id,),
        )
        archive.button(
            "Restore" if client.archived else "Archive",
            key=f"archive_client_{client.id}",
            width="stretch",
            on_click=utils.guarded(_set_archived),
            args=(client.id, not client.archived),
        )


def share_clients(clients: list[ClientRead]) -> None:
    with st.expander("Share clients as JSON (export / import)", icon=":material/swap_horiz:"):
        exportable = {client.id: client.name for client in clients if not client.archived}
        chosen = st.multiselect(
            "Clients to export",
            list(exportable),
            default=list(exportable),
            format_func=exportable.get,
            key="export_client_ids",
        )
        if chosen:
            with utils.transaction() as db:
                document = client_service.export_clients_json(db, actor=actor, client_ids=chosen)
            st.download_button(
                "Download JSON",
                document,
                file_name="clients.json",
                mime="application/json",
                key="export_clients",
                icon=":material/download:",
            )
        else:
            st.caption("Create a client (or pick some above) to export it.")
        upload = st.file_uploader(
            "Import a JSON file from a colleague", type=["json"], key="import_file"
        )
        if st.button("Import", key="import_clients", disabled=upload is None):
            try:
                with utils.transaction(write=True) as db:
                    imported = client_service.import_clients_json(
                        db, actor=actor, raw=upload.getvalue().decode("utf-8", "replace")
                    )
            except AppError as error:
                utils.show_error(error)
            else:
                st.success(
                    f"Imported {len(imported)} client(s): "
                    f"{safe(', '.join(client.name for client in imported))}."
                )


def clients_tab() -> None:
    show_archived = utils.sticky(st.toggle, "Show archived clients", key="show_archived")
    clients = _clients(include_archived=show_archived)
    if not clients and st.session_state.get(FORM_TARGET) is None:
        _open_form("new")
    target = st.session_state.get(FORM_TARGET)
    if target is not None:
        client_form(target)
    else:
        st.button(
            "New client",
            key="new_client",
            type="primary",
            icon=":material/person_add:",
            on_click=_open_form,
            args=("new",),
        )
    share_clients(clients)
    if not clients:
        st.info(
            "No clients yet. Fill in the form above to create your first simulated client: "
            "a name, 2-5 personality traits and a presenting concern are enough to start."
        )
        return
    with utils.transaction() as db:
        feedback = feedback_service.client_feedback(
            db, actor=actor, client_ids=[client.id for client in clients]
        )
    columns = st.columns(3)
    for index, client in enumerate(clients):
        with columns[index % 3]:
            client_card(client, feedback.get(client.id))


# Test conversation -----------------------------------------------------------------------------
def _test_session_id(client_id: int) -> int | None:
    """The conversation shown for this client: the one just used, else an unfinished one."""
    session_id = st.session_state.get("test_session_id")
    with utils.transaction() as db:
        if session_id is not None:
            session = session_service.get_session(db, actor=actor, session_id=session_id)
            if session.client_id == client_id:
                return session_id
        active = session_service.get_active_session(db, actor=actor, client_id=client_id)
    return active.id if active else None


def test_tab() -> None:
    clients = _clients()
    if not clients:
        st.info(
            "No clients to test yet. Create one in the **Clients** tab, then press "
            "**Test conversation** on its card."
        )
        return
    names = {client.id: client.name for client in clients}
    if st.session_state.get("_kept_test_client_id") not in names:
        # After a log-in (or a refresh), pick up the conversation left open last time.
        with utils.transaction() as db:
            unfinished = history_service.list_conversations(
                db, actor=actor, student_id=actor.id, status=SessionStatus.active, limit=1
            )
        last = unfinished[0].client_id if unfinished else None
        st.session_state["_kept_test_client_id"] = last if last in names else clients[0].id
        st.session_state.pop("test_client_id", None)
    client_id = utils.sticky(
        st.selectbox, "Client", list(names), format_func=names.get, key="test_client_id"
    )
    client = next(client for client in clients if client.id == client_id)
    with st.expander(f"About {safe(client.name)}: what the model is told"):
        st.markdown(f"**Presenting concern:** {utils.escape_markdown(client.presenting_concern)}")
        st.markdown(
            f"**Traits:** {', '.join(client.personality_traits)} · "
            f"**style:** {client.communication_style.value} · "
            f"**difficulty:** {client.difficulty.value}"
        )
        if client.hidden_information:
            st.markdown(
                f"**Hidden information:** {utils.escape_markdown(client.hidden_information)}"
            )
    session_id = _test_session_id(client_id)
    if session_id is None:
        st.markdown(
            f"Try {safe(client.name)} the way a student would: the conversation is saved with "
            "its tokens and cost, and shows up in History as a teacher test."
        )
        st.button(
            "Start test conversation",
            key="start_test",
            type="primary",
            icon=":material/chat:",
            on_click=utils.guarded(_start_test),
            args=(client_id,),
        )
        return
    st.session_state["test_session_id"] = session_id
    toolbar = st.container()
    chat_panel(database, actor, session_id, session_key="test_session_id")
    with utils.transaction() as db:
        markdown = history_service.transcript_markdown(
            db, actor=actor, session_id=st.session_state["test_session_id"]
        )
    with toolbar:
        st.download_button(
            "Export transcript (Markdown)",
            markdown,
            key="export_test_transcript",
            file_name=f"test-conversation-{session_id}.md",
            mime="text/markdown",
            icon=":material/download:",
        )


# History and metrics ---------------------------------------------------------------------------
SHOWN_TRANSCRIPTS = 100
ALL = 0  # no filter (ids start at 1)


def _choice(label: str, options: list[tuple[int, str]], key: str, column) -> int | None:
    labels = {ALL: "All", **dict(options)}
    if st.session_state.get(f"_kept_{key}") not in labels:
        st.session_state.pop(f"_kept_{key}", None)
    value = utils.sticky(column.selectbox, label, list(labels), key=key, format_func=labels.get)
    return None if value == ALL else value


def history_tab() -> None:
    with utils.transaction() as db:
        options = history_service.filter_options(db, actor=actor)
    columns = st.columns(4)
    people = [(pid, f"{name} (you)" if pid == actor.id else name) for pid, name in options.people]
    filters = {
        "client_id": _choice("Client", options.clients, "history_client", columns[0]),
        "section_id": _choice("Section", options.sections, "history_section", columns[1]),
        "student_id": _choice("Student", people, "history_student", columns[2]),
        "status": utils.sticky(
            columns[3].selectbox,
            "Status",
            ["all", SessionStatus.active.value, SessionStatus.completed.value],
            key="history_status",
            format_func=str.capitalize,
        ),
    }
    if filters["status"] == "all":
        filters["status"] = None
    with utils.transaction() as db:
        rows = history_service.list_conversations(db, actor=actor, **filters)
        metrics = history_service.metrics_summary(db, actor=actor, **filters)
        feedback = feedback_service.session_feedback(
            db, actor=actor, session_ids=[row.session_id for row in rows]
        )

    with st.container(border=True, key="history_metrics"):
        counts, money = st.columns(4), st.columns(4)
        counts[0].metric("Conversations", metrics.conversations)
        counts[1].metric("Messages", format_tokens(metrics.messages))
        counts[2].metric("Total tokens", format_tokens(metrics.total_tokens))
        counts[3].metric(
            "Completion rate",
            "—" if metrics.completion_rate is None else f"{metrics.completion_rate:.0%}",
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

    if not rows:
        filtered = any(value is not None for value in filters.values())
        st.info(
            "No conversations match these filters. Choose **All** to widen them."
            if filtered
            else "No conversations yet. Test a client in the **Test conversation** tab, or "
            "publish an assignment so your students can practise."
        )
        return
    utils.table(
        [
            {
                "Started": format_time(row.started_at),
                "Client": row.client_name,
                "Student": row.user_name,
                "Section": row.section_name or "(teacher test)",
                "Status": row.status.value,
                "Messages": row.message_count,
                "Tokens": row.total_tokens,
                "Cost": format_usd(row.cost),
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

    st.markdown("##### Transcripts")
    if len(rows) > SHOWN_TRANSCRIPTS:
        st.caption(f"The newest {SHOWN_TRANSCRIPTS} are listed; narrow the filters to find others.")
    for row in rows[:SHOWN_TRANSCRIPTS]:
        label = (
            f"{format_time(row.started_at)} · {safe(row.client_name)} with "
            f"{safe(row.user_name)} · "
            f"{row.status.value} · {row.message_count} messages · {format_usd(row.cost)}"
        )
        expander = st.expander(label, key=f"conversation_{row.session_id}", on_change="rerun")
        with expander:
            if expander.open:
                transcript(row, feedback.get(row.session_id))


def student_feedback(summary: feedback_service.SessionFeedbackSummary | None) -> None:
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
    row: history_service.ConversationRow, feedback: feedback_service.SessionFeedbackSummary | None
) -> None:
    with utils.transaction() as db:
        messages = session_service.get_messages(db, actor=actor, session_id=row.session_id)
        markdown = history_service.transcript_markdown(db, actor=actor, session_id=row.session_id)
    if row.mode.value != "teacher_test":
        student_feedback(feedback)
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
    for message in messages:
        render_message(message)


# Sections and assignments ----------------------------------------------------------------------
def _end_of_day(day) -> datetime | None:
    """A date picked in the page as the end of that day, UTC (None stays None)."""
    return datetime.combine(day, time(23, 59), tzinfo=UTC) if day else None


def _create_section() -> None:
    state = st.session_state
    state["section_errors"] = {}
    try:
        with utils.transaction(write=True) as db:
            section = section_service.create_section(
                db,
                actor=actor,
                name=state["section_name"],
                seat_limit=state.get("section_seat_limit"),
                join_code_expires_at=_end_of_day(state.get("section_code_expires")),
            )
    except ValidationError as error:
        state["section_errors"] = error.field_errors
        raise
    state["section_name"], state["section_seat_limit"], state["section_code_expires"] = (
        "",
        None,
        None,
    )
    state["section_id"] = state["_kept_section_id"] = section.id
    utils.flash(
        f"Created {safe(section.name)}. Students join it with the code {section.join_code}."
    )


def _save_section(section_id: int) -> None:
    state = st.session_state
    errors_key = f"section_settings_errors_{section_id}"
    state[errors_key] = {}
    try:
        with utils.transaction(write=True) as db:
            section = section_service.update_section(
                db,
                actor=actor,
                section_id=section_id,
                name=state[f"edit_section_name_{section_id}"],
                seat_limit=state.get(f"edit_seat_limit_{section_id}"),
                join_code_expires_at=_end_of_day(state.get(f"edit_code_expires_{section_id}")),
            )
    except ValidationError as error:
        state[errors_key] = error.field_errors
        raise
    utils.flash(f"Saved the settings of {safe(section.name)}.")


def _regenerate_code(section_id: int) -> None:
    with utils.transaction(write=True) as db:
        section = section_service.regenerate_join_code(db, actor=actor, section_id=section_id)
    utils.flash(
        f"New join code for {safe(section.name)}: {section.join_code}. The old one stops working."
    )
    st.session_state.pop(f"edit_code_expires_{section_id}", None)  # an expired date is cleared


def _remove_student(section_id: int, student_id: int, name: str) -> None:
    with utils.transaction(write=True) as db:
        section_service.remove_student(
            db, actor=actor, section_id=section_id, student_id=student_id
        )
    utils.flash(f"Removed {safe(name)} from the section. Their past conversations are kept.")


def _create_assignment(section_id: int) -> None:
    state = st.session_state
    title = (state.get("assignment_title") or "").strip()
    if not title:
        state["assignment_errors"] = {"title": "Give the assignment a title."}
        return
    due = state.get("assignment_due")
    data = AssignmentInput(
        title=title,
        instructions=state.get("assignment_instructions") or "",
        due_at=datetime.combine(due, time(23, 59), tzinfo=UTC) if due else None,
        client_ids=list(state.get("assignment_clients") or []),
    )
    with utils.transaction(write=True) as db:
        created = assignment_service.create_assignment(
            db, actor=actor, section_id=section_id, data=data
        )
    for key, blank in (
        ("assignment_title", ""),
        ("assignment_instructions", ""),
        ("assignment_due", None),
        ("assignment_clients", []),
    ):
        state[key] = blank
    state["assignment_errors"] = {}
    utils.flash(f"Created the draft “{safe(created.title)}”. Publish it when it is ready.")


def _set_published(assignment_id: int, published: bool) -> None:
    with utils.transaction(write=True) as db:
        assignment = assignment_service.set_published(
            db, actor=actor, assignment_id=assignment_id, published=published
        )
    utils.flash(
        f"Published “{safe(assignment.title)}”: students in the section can now practise."
        if published
        else f"“{safe(assignment.title)}” is a draft again, hidden from students."
    )


def _save_assignment_clients(assignment_id: int) -> None:
    chosen = list(st.session_state.get(f"assignment_clients_{assignment_id}") or [])
    with utils.transaction(write=True) as db:
        current = assignment_service.get_assignment(db, actor=actor, assignment_id=assignment_id)
        assignment_service.update_assignment(
            db,
            actor=actor,
            assignment_id=assignment_id,
            data=AssignmentInput(
                title=current.title,
                instructions=current.instructions,
                due_at=current.due_at,
                client_ids=chosen,
            ),
        )
    utils.flash(f"Saved the clients of “{safe(current.title)}”.")


def assignment_card(assignment, client_names: dict[int, str]) -> None:
    with st.container(border=True, key=f"assignment_{assignment.id}"):
        published = assignment.status.value == "published"
        badge = ":green-badge[published]" if published else ":gray-badge[draft]"
        due = f" · due {format_time(assignment.due_at)}" if assignment.due_at else ""
        st.markdown(f"**{safe(assignment.title)}** {badge}{due}")
        if assignment.instructions:
            st.caption(safe(assignment.instructions))
        options = sorted(set(client_names) | set(assignment.client_ids))
        key = f"assignment_clients_{assignment.id}"
        if key not in st.session_state:
            st.session_state[key] = list(assignment.client_ids)
        st.multiselect(
            "Clients",
            options,
            key=key,
            format_func=lambda cid: client_names.get(cid, f"client {cid} (archived)"),
        )
        save, publish = st.columns(2)
        save.button(
            "Save clients",
            key=f"save_assignment_clients_{assignment.id}",
            on_click=utils.guarded(_save_assignment_clients),
            args=(assignment.id,),
        )
        publish.button(
            "Unpublish" if published else "Publish",
            type="secondary" if published else "primary",
            key=f"publish_assignment_{assignment.id}",
            on_click=utils.guarded(_set_published),
            args=(assignment.id, not published),
        )


def _code_status(section) -> list[str]:
    """What the join code lets in: seats taken, and until when it works."""
    if section.seat_limit is None:
        seats = "No seat limit."
    else:
        plural = "s" if section.seat_limit != 1 else ""
        seats = f"{section.student_count} of {section.seat_limit} seat{plural} taken."
        if section.is_full:
            seats += " Full: raise the seat limit below to let more students in."
    expires = section.join_code_expires_at
    if expires is None:
        until = "The code does not expire."
    elif section.join_code_expired:
        until = f"Code expired on {expires:%Y-%m-%d}: make a new code, or set a later date below."
    else:
        until = f"Code works until {expires:%Y-%m-%d} (end of day UTC)."
    return [seats, until]


def section_settings(section) -> None:
    """Rename the section; set or clear its seat limit and its code's expiry."""
    state = st.session_state
    state.setdefault(f"edit_section_name_{section.id}", section.name)
    state.setdefault(f"edit_seat_limit_{section.id}", section.seat_limit)
    state.setdefault(
        f"edit_code_expires_{section.id}",
        section.join_code_expires_at.date() if section.join_code_expires_at else None,
    )
    errors = state.get(f"section_settings_errors_{section.id}", {})
    with st.expander("Section settings", expanded=bool(errors)):
        with st.form(f"section_settings_{section.id}", border=False):
            st.text_input("Name", key=f"edit_section_name_{section.id}", max_chars=120)
            utils.field_error(errors, "name")
            # value=None keeps both fields clearable (empty: no limit, no expiry).
            st.number_input(
                "Seat limit (empty: no limit)",
                min_value=1,
                step=1,
                value=None,
                key=f"edit_seat_limit_{section.id}",
                help="Sign-ups and joins stop once this many students are enrolled.",
            )
            utils.field_error(errors, "seat_limit")
            st.date_input(
                "Join code works until (empty: no expiry; end of day UTC)",
                value=None,
                key=f"edit_code_expires_{section.id}",
            )
            utils.field_error(errors, "join_code_expires_at")
            st.form_submit_button(
                "Save settings",
                key=f"save_section_{section.id}",
                on_click=utils.guarded(_save_section),
                args=(section.id,),
            )


def section_detail(section, clients: list[ClientRead]) -> None:
    with utils.transaction() as db:
        roster = section_service.get_roster(db, actor=actor, section_id=section.id)
        assignments = assignment_service.list_assignments(db, actor=actor, section_id=section.id)
    code, students = st.columns(2)
    with code:
        st.markdown("Join code")
        st.code(section.join_code, language=None)
        for line in _code_status(section):
            st.caption(line)
        st.button(
            "New join code",
            key=f"regenerate_code_{section.id}",
            on_click=utils.guarded(_regenerate_code),
            args=(section.id,),
            help="The old code stops working at once; enrolled students stay.",
        )
    students.metric("Students", len(roster))
    section_settings(section)

    st.markdown("##### Roster")
    if not roster:
        st.info(
            f"No students yet. Give them the join code **{section.join_code}**: they sign up "
            "on the log-in page under **Student sign-up**."
        )
    for entry in roster:
        name, remove = st.columns([4, 1], vertical_alignment="center")
        name.markdown(
            f"{safe(entry.display_name)} · `{entry.username}` · joined "
            f"{format_time(entry.enrolled_at)}"
        )
        remove.button(
            "Remove",
            key=f"remove_student_{section.id}_{entry.student_id}",
            on_click=utils.guarded(_remove_student),
            args=(section.id, entry.student_id, entry.display_name),
        )

    st.markdown("##### Assignments")
    client_names = {client.id: client.name for client in clients}
    if not assignments:
        st.info(
            "No assignments yet. Create one below, attach clients and publish it: students "
            "then see those clients on their practice page."
        )
    for assignment in assignments:
        assignment_card(assignment, client_names)

    errors = st.session_state.get("assignment_errors", {})
    with st.form(f"assignment_form_{section.id}"):
        st.markdown("**New assignment**")
        st.text_input("Title *", key="assignment_title", max_chars=200)
        utils.field_error(errors, "title")
        st.text_area(
            "Instructions for students", key="assignment_instructions", max_chars=4000, height=90
        )
        st.date_input("Due date (optional, end of day UTC)", value=None, key="assignment_due")
        st.multiselect(
            "Clients",
            list(client_names),
            key="assignment_clients",
            format_func=client_names.get,
            placeholder="Choose clients" if client_names else "Create a client first",
        )
        st.form_submit_button(
            "Create assignment",
            key="create_assignment",
            on_click=utils.guarded(_create_assignment),
            args=(section.id,),
        )


def sections_tab() -> None:
    errors = st.session_state.get("section_errors", {})
    with st.form("section_form", border=False):
        name, seats, expires, create = st.columns([3, 1, 1.4, 1], vertical_alignment="bottom")
        name.text_input(
            "New section name",
            key="section_name",
            max_chars=120,
            placeholder="e.g. Counseling Skills 101, spring",
        )
        seats.number_input(
            "Seat limit",
            min_value=1,
            step=1,
            value=None,
            key="section_seat_limit",
            placeholder="none",
        )
        expires.date_input(
            "Code works until",
            value=None,
            key="section_code_expires",
            help="Optional: the join code stops working after this day (UTC).",
        )
        create.form_submit_button(
            "Create section",
            key="create_section",
            width="stretch",
            on_click=utils.guarded(_create_section),
        )
    for field in ("name", "seat_limit", "join_code_expires_at"):
        utils.field_error(errors, field)
    with utils.transaction() as db:
        sections = section_service.list_sections(db, actor=actor)
    if not sections:
        st.info("No sections yet. Create one above; students join it with its join code.")
        return
    names = {
        section.id: f"{section.name} ({section.student_count} "
        f"student{'' if section.student_count == 1 else 's'})"
        for section in sections
    }
    if st.session_state.get("_kept_section_id") not in names:
        st.session_state["_kept_section_id"] = sections[0].id
        st.session_state.pop("section_id", None)
    selected = utils.sticky(
        st.selectbox, "Section", list(names), format_func=names.get, key="section_id"
    )
    section_detail(next(s for s in sections if s.id == selected), _clients())


# Page ------------------------------------------------------------------------------------------
st.title("Teacher workspace")
for tab, render in zip(
    st.tabs(TABS, key="teacher_tab", on_change="rerun"),
    (clients_tab, test_tab, history_tab, sections_tab),
    strict=False,
):
    with tab:
        if tab.open:
            render()
