"""A new app process draws the log-in page without loading what only later pages need (issue 21).

The Anthropic SDK (about 1.5 s to import), pandas (0.36 s) and the dummy password hash (0.18 s)
were most of the 4 s a new process took to draw the log-in page. The page runs here in a fresh
interpreter, as the first script run of a new server process, with an API key set as on the
real server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from backend.db import unit_of_work
from backend.models.enums import Role
from tests.apps.helpers import APP_PATH
from tests.factories import make_user

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FIRST_RUN = textwrap.dedent(
    f"""
    import gc, json, sys
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file({APP_PATH!r}, default_timeout=60).run()
    frozen = gc.get_freeze_count()
    AppTest.from_file({APP_PATH!r}, default_timeout=60).run()  # another session's first run
    from backend.accounts import account_service

    print(json.dumps({{
        "exception": [str(element.value) for element in at.exception],
        "titles": [element.value for element in at.title],
        "loaded": sorted(name for name in ("anthropic", "pandas") if name in sys.modules),
        "dummy_hashed": account_service._dummy_hash.cache_info().currsize > 0,
        "frozen": [frozen, gc.get_freeze_count()],
    }}))
    """
)


def test_a_new_process_draws_the_log_in_page_without_the_sdk_pandas_or_a_hash(app_db):
    """...and freezes what the app imported, once."""
    with unit_of_work(app_db) as db:
        make_user(db, role=Role.teacher, username="tina.teacher")
    env = {
        **os.environ,
        "DATABASE_URL": str(app_db.url),
        "ENV_FILE": os.devnull,
        "ANTHROPIC_API_KEY": "sk-ant-not-used",  # as on the real server: not demo mode
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",  # nothing may be called anyway
    }
    run = subprocess.run(
        [sys.executable, "-c", FIRST_RUN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    page = json.loads(run.stdout.strip().splitlines()[-1])
    assert page["exception"] == []
    assert page["titles"] == ["Counseling practice"]  # the log-in page, not the setup
    assert page["loaded"] == []
    assert page["dummy_hashed"] is False
    # The objects the app imported left the collector's generations, once per process (a few
    # of them have been freed since; a second freeze would have added the second run's).
    first_run, second_run = page["frozen"]
    assert first_run > 50_000 and second_run <= first_run
