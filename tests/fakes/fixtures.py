"""Pytest fixtures for the fake Anthropic server.

Enable them for the whole suite from the root ``conftest.py``::

    pytest_plugins = ["tests.fakes.fixtures"]

or, in a single test module, import the fixtures by name.

* ``fake_anthropic_server`` - one server for the session (started lazily).
* ``fake_anthropic``        - the same server, ``reset()`` before and after each test.
* ``fake_anthropic_env``    - ``fake_anthropic`` plus ``ANTHROPIC_BASE_URL`` /
  ``ANTHROPIC_API_KEY`` pointing at it, for code that builds its own client.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic

__all__ = ["fake_anthropic_server", "fake_anthropic", "fake_anthropic_env"]


@pytest.fixture(scope="session")
def fake_anthropic_server() -> Iterator[FakeAnthropic]:
    """A single fake server shared by the test session."""
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake_anthropic(fake_anthropic_server: FakeAnthropic) -> Iterator[FakeAnthropic]:
    """The session server with a clean script, records and latency for this test."""
    fake_anthropic_server.reset()
    yield fake_anthropic_server
    fake_anthropic_server.reset()  # also wakes handlers still hanging for this test


@pytest.fixture
def fake_anthropic_env(
    fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> FakeAnthropic:
    """Point the SDK's environment variables at the fake server."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    return fake_anthropic
