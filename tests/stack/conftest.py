"""The stack tests use the browser tests' Chromium (one per session) and their patience."""

from tests.e2e.conftest import _patient_expect, browser, page  # noqa: F401 (fixtures)
