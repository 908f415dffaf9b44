"""`python -m mvp.serve [streamlit options]`: `streamlit run mvp/app.py`, restartable unnoticed.

The container's command (see the Dockerfile). Beside Streamlit's own server it
- serves /ready on READINESS_PORT from this process (`backend.monitoring.watch`), so /ready
  answers 503 the moment this process begins to shut down and the proxy sends new requests
  elsewhere;
- drains on SIGTERM before Streamlit stops (`backend.ops.shutdown.drain`): no new turns, the
  replies streaming here finish within SHUTDOWN_GRACE_SECONDS, the rest is released to another
  process at once. A second SIGTERM, or SIGINT (Ctrl+C), stops at once.

Streamlit installs its signal handlers once its server has started, in
`streamlit.web.bootstrap._set_up_signal_handler` (it offers no public hook). The launcher wraps
that function, so its own SIGTERM handler runs first and calls Streamlit's when the drain is
over. A Streamlit without that function fails here at start-up (and the drain's browser test
fails), never silently.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from streamlit.web import bootstrap, cli

from backend.config import get_settings
from backend.errors import SettingsError
from backend.monitoring import watch
from backend.ops import shutdown

APP = str(Path(__file__).with_name("app.py"))


def main() -> None:
    try:
        readiness_port = get_settings().readiness_port
    except SettingsError as error:  # a mistyped setting: one sentence, no traceback
        sys.exit(error.message)
    watch.run_in_background(readiness_port)
    _drain_before_streamlit_stops()
    default_port = os.environ.get("PORT", "8501")
    sys.argv = ["streamlit", "run", APP, "--server.port", default_port, *sys.argv[1:]]
    try:
        cli.main()  # the options given later win over the defaults before them
    finally:
        if shutdown.stopping():  # released work may still hold a thread: do not wait for it
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)


def _drain_before_streamlit_stops() -> None:
    set_up = bootstrap._set_up_signal_handler  # AttributeError at start-up if Streamlit changed

    def set_up_then_drain_first(server: Any) -> None:
        set_up(server)
        streamlit_stop = signal.getsignal(signal.SIGTERM)
        assert callable(streamlit_stop), "Streamlit installed no SIGTERM handler"
        loop = asyncio.get_running_loop()  # Streamlit calls this on its server's event loop

        def stop() -> None:
            loop.call_soon_threadsafe(streamlit_stop, signal.SIGTERM, None)

        def on_sigterm(_signal: int, _frame: FrameType | None) -> None:
            shutdown.on_sigterm(stop)

        signal.signal(signal.SIGTERM, on_sigterm)

    bootstrap._set_up_signal_handler = set_up_then_drain_first


if __name__ == "__main__":
    main()
