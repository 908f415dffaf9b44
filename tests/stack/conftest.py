"""The stack tests use the browser tests' Chromium (one per session) and their patience."""

from tests.e2e.conftest import (  # noqa: F401 (fixtures)
    _patient_expect,
    browser,
    open_page,
    page,
    warm_tabs,
)
