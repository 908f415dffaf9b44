"""Run the test suite: `python run_tests.py [--fast] [pytest arguments]` (e.g. `-k accounts -x`).

Defaults to the whole suite, quiet, with a per-test timeout, in one process (`-n 2` for two
pytest-xdist workers; `--fast` uses two by default); always lists the ten slowest tests (unless you pass your own
`--durations`). `--fast` leaves out the browser tests and everything that needs PostgreSQL.
Under CI=true, tests that need PostgreSQL, Redis or a browser fail instead of skipping when the
service is missing.
"""

from __future__ import annotations

import sys

import pytest

DEFAULT_ARGS = ["-q", "-ra", "--timeout=300"]
DURATIONS = "--durations=10"
# The fast lane runs on two workers (the suite's machines have two cores). The whole suite runs in
# one process unless asked (`-n 2`): beside a busy second worker, the two-process browser test's
# apps and the browser's view of a streaming reply fell behind their waits.
PARALLEL = ["-n", "2", "--dist", "loadgroup"]
FAST = ["-m", "not browser and not postgresql"]


def main(argv: list[str]) -> int:
    fast = "--fast" in argv
    args = [arg for arg in argv if arg != "--fast"] or DEFAULT_ARGS
    if not any(arg.startswith("tests") for arg in args):
        args = [*args, "tests"]
    if not any(arg.startswith("--durations") for arg in args):
        args = [DURATIONS, *args]
    asked = any(arg == "-n" or arg.startswith(("-n", "--numprocesses", "--dist")) for arg in args)
    if fast and not asked:
        args = [*PARALLEL, *args]
    if fast:
        args = [*FAST, *args]
    return pytest.main(["-p", "no:cacheprovider", *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
