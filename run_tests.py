"""Run the test suite: `python run_tests.py [pytest arguments]` (e.g. `-k accounts -x`).

Defaults to the whole suite, quiet, with a per-test timeout; always lists the ten slowest tests
(unless you pass your own `--durations`). Under CI=true, tests that need PostgreSQL, Redis or a
browser fail instead of skipping when the service is missing.
"""

from __future__ import annotations

import sys

import pytest

DEFAULT_ARGS = ["-q", "-ra", "--timeout=300", "tests"]
DURATIONS = "--durations=10"


def main(argv: list[str]) -> int:
    args = argv or DEFAULT_ARGS
    if argv and not any(arg.startswith("tests") for arg in argv):
        args = [*argv, "tests"]
    if not any(arg.startswith("--durations") for arg in args):
        args = [DURATIONS, *args]
    return pytest.main(["-p", "no:cacheprovider", *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
