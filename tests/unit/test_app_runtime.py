"""How the app's Streamlit server runs each page: settings that cost or save CPU on every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def streamlit_option(name: str) -> str:
    """The value Streamlit itself reads for `name` when started from the project folder (its
    `.streamlit/config.toml`), as `streamlit run` would."""
    return subprocess.run(
        [sys.executable, "-c", f"from streamlit import config; print(config.get_option({name!r}))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_no_full_garbage_collection_after_every_script_run():
    """On by default, it took about 155 ms of a 200 ms chat turn (issue 21): the app's objects are
    long-lived and Python's own generational collection frees what a run leaves."""
    assert streamlit_option("runner.postScriptGC") == "False"
