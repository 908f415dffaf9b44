"""The stack tests use the browser tests' Chromium (one per session) and their patience, made
longer: the stack lane runs beside the whole suite at a low CPU priority (.ci/run), its app
processes in containers at a low CPU weight and its own Chromium niced. There a first reply
through a cold stack took 28 s of the 30 s a script run may take elsewhere, and over 30 s in CI
on 2026-12-06 (its request reached the API only after the test had failed). Set before the
fixtures below are imported, and read by every wait when it starts."""

from tests.e2e import helpers

helpers.RUN_TIMEOUT_MS = 90_000

from tests.e2e.conftest import (  # noqa: E402, F401 (fixtures, after the patience is set)
    _patient_expect,
    browser,
    open_page,
    page,
    warm_tabs,
)
