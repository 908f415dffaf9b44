"""Run the test suite: `python run_tests.py [--fast | --stack] [pytest arguments]` (e.g. `-k accounts -x`).

Defaults to the whole suite, quiet, with a per-test timeout, on two pytest-xdist workers (the
browser tests all on one of them; `-n 0` runs everything in this process); always lists the ten
slowest tests (unless you pass your own `--durations`). `--fast` leaves out the browser tests and
everything that needs PostgreSQL; a `-m EXPRESSION` of your own narrows a lane, never widens it.
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
FAST = "not browser and not postgresql and not stack"
NOT_STACK = "not stack"
STACK = ["-n", "0"]


def keep_bytecode() -> None:
    """Let this process and its children write (and so reuse) compiled modules."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False


def pytest_args(argv: list[str]) -> list[str]:
    """What `run_tests.py argv` passes to pytest."""
    fast = "--fast" in argv
    stack = "--stack" in argv
    args = [arg for arg in argv if arg not in ("--fast", "--stack")] or DEFAULT_ARGS
    if not any(arg.startswith("tests") for arg in args):
        args = [*args, "tests/stack" if stack else "tests"]
    args, picked = _without_markers(args)
    if stack:
        lane = f"({picked}) and stack" if picked else "stack"
        return ["-p", "no:cacheprovider", DURATIONS, "-m", lane, *STACK, *args]
    if not any(arg.startswith("--durations") for arg in args):
        args = [DURATIONS, *args]
    asked = any(arg == "-n" or arg.startswith(("-n", "--numprocesses", "--dist")) for arg in args)
    if not asked:
        args = [*PARALLEL, *args]
    lane = FAST if fast else NOT_STACK
    return ["-p", "no:cacheprovider", "-m", f"({picked}) and {lane}" if picked else lane, *args]


def _without_markers(args: list[str]) -> tuple[list[str], str]:
    """`args` without its `-m EXPRESSION`, and that expression (the last, as pytest takes it):
    a lane narrows it rather than replacing it, so `-m browser` still leaves the stack out."""
    rest: list[str] = []
    picked = ""
    arguments = iter(args)
    for arg in arguments:
        if arg in ("-m", "--markexpr"):
            picked = next(arguments, "")
        elif arg.startswith("--markexpr="):
            picked = arg.removeprefix("--markexpr=")
        elif arg.startswith("-m") and len(arg) > 2:
            picked = arg[2:].removeprefix("=")  # -mEXPR and -m=EXPR, as pytest reads them
        else:
            rest.append(arg)
    return rest, picked


def main(argv: list[str]) -> int:
    keep_bytecode()
    import pytest  # after keep_bytecode, so that pytest's own modules are cached too

    return pytest.main(pytest_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
