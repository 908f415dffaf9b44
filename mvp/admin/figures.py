"""Admin figures: today, usage over time, breakdowns and budgets (the tabs are figures_now.py,
figures_tabs.py and figures_budgets.py).

Every figure comes from `metrics_service` (grouped queries in the database). Only the open tab
queries its figures; they draw inside one fragment, so the auto-refresh reruns them, not the page.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.accounts import account_service
from backend.actor import UserRead
from backend.config import get_settings
from backend.errors import AppError
from backend.models.enums import Role
from backend.usage import budget_service
from mvp import auth, store, ui
from mvp.admin.figures_budgets import budgets_tab
from mvp.admin.figures_now import now_tab
from mvp.admin.figures_tabs import breakdowns_tab, usage_tab
from mvp.admin.shared import utc_now
from mvp.help.steps import ADMIN_START

actor = auth.require_role(Role.admin)

TABS = ["Now", "Usage", "Breakdowns", "Budgets"]
FIGURE_TABS: dict[str, Callable[[UserRead], None]] = {
    "Now": now_tab,
    "Usage": usage_tab,
    "Breakdowns": breakdowns_tab,
    "Budgets": budgets_tab,
}


REFRESH_SECONDS = get_settings().dashboard_refresh_seconds


@st.fragment(run_every=REFRESH_SECONDS if st.session_state.get("auto_refresh") else None)
def figures(tab: str) -> None:
    """The open figures tab; the auto-refresh reruns only this, not the page."""
    auth.require_login()  # its own reruns skip the page's check: stop once the log-in ended
    st.caption(
        f"Updated {utc_now():%H:%M:%S} UTC"
        + (
            f" · refreshes every {REFRESH_SECONDS} seconds"
            if st.session_state.get("auto_refresh")
            else ""
        )
    )
    try:
        FIGURE_TABS[tab](actor)
    except AppError as error:
        ui.show_error(error)


def next_step() -> None:
    """A new installation has nothing to show yet: say what to do first."""
    with store.transaction() as db:
        teachers = account_service.list_users(db, actor=actor, role=Role.teacher)
    if not teachers:
        with st.container(border=True, key="admin_next_step"):
            st.markdown(ADMIN_START)
            st.page_link(
                "admin/accounts.py", label="Create a teacher", icon=":material/person_add:"
            )


def unpriced_warning() -> None:
    """A model the settings name has no price: with the dollar budget on its calls are refused,
    with it off they count $0 in every figure below."""
    settings = get_settings()
    for model in budget_service.unpriced_models(settings):
        st.warning(
            f"Model `{model}` has no price, so it is paused: its calls are refused while the "
            "daily dollar budget is on. Add its price to MODEL_PRICES_JSON, or set "
            "GLOBAL_DAILY_COST_BUDGET_USD=0 to let its calls through uncounted."
            if settings.global_daily_cost_budget_usd
            else f"Model `{model}` has no price, so its calls count as $0 in these figures and "
            "in the budgets. Add its price to MODEL_PRICES_JSON.",
            icon=":material/price_change:",
        )


# The page ------------------------------------------------------------------------------------
st.title("Figures")
next_step()
unpriced_warning()
top = st.columns([1, 3], vertical_alignment="center")
top[0].button(
    "Refresh",
    key="refresh",
    icon=":material/refresh:",
    help="Recompute the figures of this tab now.",
)  # a click reruns the page
top[1].toggle(
    f"Auto-refresh every {REFRESH_SECONDS} seconds",
    key="auto_refresh",
    help="Reruns only the figures, not the page.",
)
for tab, name in zip(st.tabs(TABS, key="admin_tab", on_change="rerun"), TABS, strict=False):
    with tab:
        if tab.open:
            figures(name)
