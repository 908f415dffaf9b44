"""Long work runs in the backend's jobs, never in a page; the jobs kernel knows no domain."""

from __future__ import annotations

from tests.unit.test_import_layers import _offending, _under

DOMAINS = (
    "backend.accounts",
    "backend.clients",
    "backend.classes",
    "backend.practice",
    "backend.reviews",
    "backend.checks",
    "backend.usage",
    "backend.monitoring",
    "backend.ops",
)


def test_pages_own_no_threads_or_pools():
    assert _offending("mvp", lambda name: _under(name, "threading", "concurrent")) == {}


def test_the_jobs_kernel_imports_no_domain_package():
    assert _offending("backend/jobs", lambda name: _under(name, *DOMAINS)) == {}
