"""An attack on run_tests.py's `pytest_args` (1211762): "a `-m EXPRESSION` of your
own narrows a lane, never widens it"."""

from __future__ import annotations

from run_tests import pytest_args


def _marker_expressions(args: list[str]) -> list[str]:
    found, items = [], iter(args)
    for arg in items:
        if arg == "-m":
            found.append(next(items))
        elif arg.startswith("-m"):
            found.append(arg[2:].removeprefix("="))
    return found


def test_the_equals_form_of_m_is_read_as_pytest_reads_it():
    """pytest (argparse) reads `-m=browser` as the expression "browser"; `_without_markers`
    takes "=browser", and pytest then stops with "Wrong expression passed to '-m': (=browser)
    and not stack". Before this change `-m=browser` was passed on and worked."""
    args = pytest_args(["-m=browser"])
    assert _marker_expressions(args) == ["(browser) and not stack"]


def test_a_marker_of_ones_own_narrows_the_stack_lane_too():
    """`--stack -m "not slow" tests`: the stack lane's "-m stack" comes first and the person's
    "-m" last, so pytest (last one wins) runs every test not marked slow, stack or not, in one
    process: the person's expression replaces the lane instead of narrowing it."""
    args = pytest_args(["--stack", "-m", "not slow", "tests"])
    assert _marker_expressions(args) == ["(not slow) and stack"]
