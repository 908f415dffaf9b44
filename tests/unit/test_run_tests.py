"""`run_tests.py`: which tests each lane selects, whatever the person adds to the command."""

from __future__ import annotations

import pytest

from run_tests import pytest_args


def _marker_expression(argv: list[str]) -> str:
    """The -m expression pytest applies (its last -m wins)."""
    args = pytest_args(argv)
    expressions = [args[i + 1] for i, arg in enumerate(args) if arg == "-m"]
    assert expressions, args
    return expressions[-1]


@pytest.mark.parametrize(
    "argv, chosen, left_out",
    [
        ([], [], ["stack"]),
        (["-m", "browser"], ["browser"], ["stack"]),
        (["-m", "browser or redis", "-x"], ["browser or redis"], ["stack"]),
        (["--fast"], [], ["browser", "postgresql", "stack"]),
        (["--fast", "-m", "redis"], ["redis"], ["browser", "postgresql", "stack"]),
    ],
)
def test_a_marker_the_person_picks_narrows_the_lane_without_bringing_the_stack_in(
    argv, chosen, left_out
):
    """The compose stack tests are a lane of their own (`--stack`): `-m browser` used to run
    them too, in the browser tests' process, where they failed on a second Playwright."""
    expression = _marker_expression(argv)
    for marker in chosen:
        assert f"({marker})" in expression
    for marker in left_out:
        assert f"not {marker}" in expression


def test_the_stack_lane_runs_only_the_stack_tests_in_one_process():
    args = pytest_args(["--stack"])
    assert _marker_expression(["--stack"]) == "stack"
    assert args[args.index("-n") + 1] == "0"
    assert args[-1] == "tests/stack"
