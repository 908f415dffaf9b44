"""Small UI helpers shared by the pages: messages and errors, tables, sticky widgets, page moves.

Every text someone else wrote (names, profiles, rubrics, messages, reviews, service messages that
quote them) goes through `safe_markdown` wherever Streamlit renders Markdown: bodies, captions,
alerts, headings, widget labels and `help`, expander, tab and status labels. It keeps emphasis
and shows images, links, addresses, HTML, code, math and `:color[...]` directives as typed.
`st.selectbox`/`st.multiselect` options and input values are plain text: they stay as they are.
(`escape_markdown` shows typed text every character literal; `as_typed` shows a student's
message so, sent or not, its line breaks and indentation kept, to them and to teachers.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import streamlit as st

from backend.errors import AppError, addressed
from backend.practice import history_service
from backend.utils.formatting import format_near_bounds, format_share
from backend.utils.markdown import WORD_JOINER, as_typed, escape_markdown, safe_markdown

if TYPE_CHECKING:  # pandas (and numpy) load with the first page that draws a table, not here
    import altair as alt
    import pandas as pd

    from backend.reviews import agreement_service

#: The key of every page's chat input (a student's practice, a teacher's test chat).
CHAT_INPUT_KEY = "chat_input"

__all__ = [  # the markdown helpers are re-exported for the pages
    "WORD_JOINER",
    "agreement_table",
    "chart",
    "as_typed",
    "escape_markdown",
    "field_error",
    "flash",
    "for_reader",
    "go_to",
    "safe_markdown",
    "show_error",
    "show_flash",
    "show_unexpected",
    "sticky",
    "table",
]

logger = logging.getLogger("mvp")

FLASH_KEY = "flash"
GO_TO_KEY = "_go_to_page"  # a page asked (in a callback) to move to another page
USER_KEY = "user"  # who is logged in (`mvp.auth` keeps it)
UNEXPECTED = "Something went wrong on our side. Try again; if it keeps happening, tell an admin."


def for_reader(message: str) -> str:
    """A service's message as the logged-in person should read it (`addressed`: whom to tell),
    made safe to show (it may quote a name someone else wrote)."""
    user = st.session_state.get(USER_KEY)
    return safe_markdown(addressed(message, user.role if user else None))


def show_error(error: AppError) -> None:
    """A service error as the person reading it should see it (never a traceback)."""
    if error.level == "warning":
        st.warning(for_reader(error.message), icon=":material/warning:")
    else:
        st.error(for_reader(error.message), icon=":material/error:")


def show_unexpected(error: BaseException) -> None:
    log_unexpected(error)
    st.error(UNEXPECTED, icon=":material/error:")


def log_unexpected(error: BaseException) -> None:
    logger.exception("Unexpected error in the app", exc_info=error)


VISIT_KEYS = "_visit_keys"  # session state that lasts while the person stays on one page
SHOWN_PAGE_KEY = "_shown_page"


def remember_for_this_visit(key: str, value: object) -> None:
    """`st.session_state[key] = value` until the person goes to another page: a question left
    unanswered there must not greet their next visit (an attack, 2026-12-07)."""
    st.session_state[key] = value
    st.session_state.setdefault(VISIT_KEYS, set()).add(key)


def end_visit_if_page_changed(page_path: str) -> None:
    """Forget what `remember_for_this_visit` kept once the page shown is another one."""
    if st.session_state.get(SHOWN_PAGE_KEY) == page_path:
        return
    for key in st.session_state.pop(VISIT_KEYS, set()):
        st.session_state.pop(key, None)
    st.session_state[SHOWN_PAGE_KEY] = page_path


def flash(message: str, level: str = "success") -> None:
    """A message for the next run (after a callback or a rerun)."""
    st.session_state[FLASH_KEY] = (level, message)


def show_flash() -> None:
    level, message = st.session_state.pop(FLASH_KEY, (None, None))
    if message:
        {"success": st.success, "warning": st.warning, "error": st.error}.get(level, st.info)(
            message
        )


def go_to(page: str) -> None:
    """Open another page (its file, relative to `mvp/`) on the next run: for callbacks, where
    `st.switch_page` cannot run. `app.py` switches before drawing anything."""
    st.session_state[GO_TO_KEY] = page


def pending_page() -> str | None:
    """The page a callback asked for, once."""
    page: str | None = st.session_state.pop(GO_TO_KEY, None)
    return page


def sticky(widget: Callable[..., object], *args: Any, key: str, **kwargs: Any) -> Any:
    """Create a widget that keeps its value while its page (or tab) is closed.

    Its value is typed Any: through a `Callable`, mypy cannot pick the overload of a widget
    (`st.selectbox` has eight) that the arguments select.

    Streamlit forgets the state of a widget that one run does not draw; a copy under another
    key brings it back when the widget returns.
    """
    kept = f"_kept_{key}"
    if key not in st.session_state and kept in st.session_state:
        st.session_state[key] = st.session_state[kept]
    value = widget(*args, key=key, **kwargs)
    st.session_state[kept] = value
    return value


def follow_stored(fields: dict[str, Any], stored: object, key: str, *, again: bool = False) -> None:
    """Fill form widgets (`fields`: widget key -> the value the stored row gives it) and keep
    `stored` (what the service compares a save with: `started_from`) under `key`. Fields nobody
    typed in follow what is stored, so another tab's save shows; `again`: fill them anyway
    (after this tab's own save, or a refused one). A stale form had saved its old values over
    another tab's (two attacks, 2026-12-07)."""
    state = st.session_state
    kept = state.get(key)
    # A widget not drawn in a run loses its value (another page visited, another section
    # chosen): the form is then filled again, never left empty (an attack on the day's fixes).
    forgotten = any(widget not in state for widget in fields)
    typed_in = kept is not None and any(state.get(k) != v for k, v in kept[1].items())
    if not again and not forgotten and kept is not None and (kept[0] == stored or typed_in):
        return  # as stored, or typed in: the save compares
    for widget, value in fields.items():
        state[widget] = value
    state[key] = (stored, dict(fields))


def started_from(key: str) -> Any:
    """What the form `follow_stored` filled under `key` started from (None: not filled)."""
    kept = st.session_state.get(key)
    return None if kept is None else kept[0]


def field_error(errors: dict[str, str], field: str) -> None:
    """A validation message right under its field."""
    if field in errors:
        st.caption(f":red[{safe_markdown(errors[field])}]")


def spreadsheet_cell(value: object) -> object:
    """A table cell that a spreadsheet will not run as a formula (numbers stay numbers)."""
    return history_service.spreadsheet_safe(value) if isinstance(value, str) else value


def table(rows: pd.DataFrame | Iterable[dict], *, key: str | None = None, **options: Any) -> None:
    """Every read-only table of the product: text cells are made formula-safe first, because
    the table's toolbar offers a "Download as CSV" that a spreadsheet opens."""
    import pandas as pd  # here, not at the top: the log-in page draws no table

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    frame = frame.map(spreadsheet_cell) if not frame.empty else frame
    st.dataframe(frame, hide_index=True, width="stretch", key=key, **options)


def chart(figure: alt.Chart | alt.LayerChart, *, description: str, **options: Any) -> None:
    """Every chart of the product, with a text alternative: Vega-Lite's `description` becomes
    the chart's `aria-label` (without it, a screen reader says only "Vega visualization")."""
    st.altair_chart(figure.properties(description=description), **options)


def agreement_table(rows: list[agreement_service.CriterionAgreement], *, key: str) -> None:
    """The review agreement figures (teacher's Reviews page and the admin's): one row per
    rubric and criterion."""
    if not rows:
        st.info(
            "No figures yet. They are counted once a teacher saves their version of a review "
            "the model wrote (automatic demo reviews are left out)."
        )
        return
    table(
        [
            {
                "Rubric": row.rubric,
                "Criterion": row.criterion_name,
                "Pairs": row.pairs,
                "Exact agreement": format_share(row.exact),
                "Within one point": format_share(row.within_one),
                "Mean difference": format_near_bounds(row.mean_abs_diff, 0),
                "Kappa (quadratic)": "—"
                if row.kappa is None
                else format_near_bounds(row.kappa, -1, 1),
            }
            for row in rows
        ],
        key=key,
    )


#: On a narrow screen the open sidebar covers the page: a click on one of its page links closes
#: it (Streamlit does so only for browsers that name themselves phones). Listens once per tab.
_CLOSE_SIDEBAR_ON_NAVIGATION = """
(() => {
  if (window.closesSidebarOnNavigation) return;
  window.closesSidebarOnNavigation = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a');
    if (!link || !window.matchMedia("(max-width: 768px)").matches) return;
    setTimeout(() => {
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      if (sidebar && sidebar.getAttribute("data-collapsed") === "false") {
        document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
      }
    }, 0);
  }, true);
})();
"""


def close_sidebar_on_navigation() -> None:
    """On a phone-sized screen, choosing a page in the sidebar closes the sidebar."""
    with st.container(key="sidebar_closer"):
        st.html(
            "<style>.st-key-sidebar_closer {display: none}</style>"
            f"<script>{_CLOSE_SIDEBAR_ON_NAVIGATION}</script>",
            unsafe_allow_javascript=True,
        )


TYPED_TAKEN_KEY = "_typed_taken"  # this run's chat page took the message typed in it
OPEN_CHAT_KEY = "_open_chat"  # the conversation whose chat input the page drew last


def typed_in_this_run() -> str | None:
    """The chat message sent with the run now going (a disabled or undrawn input returns
    nothing)."""
    typed = st.session_state.get(CHAT_INPUT_KEY)
    if typed is not None and not isinstance(typed, str):
        typed = getattr(typed, "text", None)  # the value's form when files are accepted
    return typed or None
