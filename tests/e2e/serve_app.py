"""`streamlit run mvp/app.py` for the browser tests, kept running across tests.

    python -m tests.e2e.serve_app CONTROL_SOCKET run mvp/app.py [streamlit options]

Exactly Streamlit's own command line (`streamlit.web.cli`) serving the unchanged app, plus one
thread listening on the Unix socket CONTROL_SOCKET. Before each test the test sends the
environment it wants (a new `DATABASE_URL`); the process then does what a restart with that
environment would do for the app: it waits for jobs still running (replies, reviews), sets the
variables, and drops every process-wide object built from the old ones (settings, the API
gateway and its breaker store, the rate limiter, cached figures, Streamlit's caches), so the next
script run builds them anew. Then it answers "ready". Starting a process per test cost seconds each.
"""

from __future__ import annotations

import os
import sys
import threading
from multiprocessing.connection import Listener


def use_environment(environment: dict[str, str]) -> None:
    """The app's process-wide state as a fresh process with `environment` would have it."""
    import streamlit as st

    from backend import llm
    from backend.config import get_settings
    from backend.jobs import runner
    from backend.monitoring.metrics_service import forget_closed_periods
    from backend.utils.rate_limiter import reset_rate_limiter

    if not runner.wait_idle(30):
        raise RuntimeError("a job of the previous test (a reply, a review) is still running")
    os.environ.update(environment)
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()
    llm.reset_gateway()
    reset_rate_limiter()
    forget_closed_periods()


def _serve(listener: Listener) -> None:
    while True:
        with listener.accept() as connection:
            try:
                use_environment(connection.recv())
            except Exception as error:
                connection.send(f"failed: {type(error).__name__}: {error}")
            else:
                connection.send("ready")


def main() -> None:
    control, *streamlit_args = sys.argv[1:]
    listener = Listener(control, family="AF_UNIX")
    threading.Thread(target=_serve, args=(listener,), name="test-control", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", *streamlit_args]
    cli.main()


if __name__ == "__main__":
    main()
