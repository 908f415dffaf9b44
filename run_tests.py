"""Run the test suite: `python run_tests.py [--fast | --stack] [pytest arguments]` (e.g. `-k accounts -x`).

Defaults to the whole suite, quiet, with a per-test timeout, on two pytest-xdist workers (the
browser tests all on one of them; `-n 0` runs everything in this process); always lists the ten
slowest tests (unless you pass your own `--durations`). `--fast` leaves out the browser tests and everything that needs PostgreSQL.
The compose stack tests (tests/stack: Docker, minutes) are a lane of their own: `--stack` runs
them alone, in this process; the other runs leave them out.
Under CI=true, tests that need PostgreSQL, Redis or a browser fail instead of skipping when the
service is missing.
The run writes Python's bytecode caches (`__pycache__`, git-ignored) even where
PYTHONDONTWRITEBYTECODE is set, for itself and every process it starts: without them each of
the suite's processes (workers, app servers, CLI runs) compiled every module it imported from
source again, about a third of the suite's CPU time.
"""

from __future__ import annotations

import os
import sys

DEFAULT_ARGS = ["-q", "-ra", "--timeout=300"]
DURATIONS = "--durations=10"
# Two workers (the suite's machines have two cores). The browser tests share one (xdist group
# "browser", tests/conftest.py): one app process and one Chromium serve them all.
PARALLEL = ["-n", "2", "--dist", "loadgroup"]
FAST = ["-m", "not browser and not postgresql and not stack"]
NOT_STACK = ["-m", "not stack"]
STACK = ["-m", "stack", "-n", "0"]


def keep_bytecode() -> None:
    """Let this process and its children write (and so reuse) compiled modules."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False


def main(argv: list[str]) -> int:
    keep_bytecode()
    import pytest  # after keep_bytecode, so that pytest's own modules are cached too

    fast = "--fast" in argv
    stack = "--stack" in argv
    args = [arg for arg in argv if arg not in ("--fast", "--stack")] or DEFAULT_ARGS
    if not any(arg.startswith("tests") for arg in args):
        args = [*args, "tests/stack" if stack else "tests"]
    if stack:
        return pytest.main(["-p", "no:cacheprovider", DURATIONS, *STACK, *args])
    if not any(arg.startswith("--durations") for arg in args):
        args = [DURATIONS, *args]
    asked = any(arg == "-n" or arg.startswith(("-n", "--numprocesses", "--dist")) for arg in args)
    if not asked:
        args = [*PARALLEL, *args]
    if fast:
        args = [*FAST, *args]
    elif "-m" not in args:
        args = [*NOT_STACK, *args]
    return pytest.main(["-p", "no:cacheprovider", *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
