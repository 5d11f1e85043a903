"""Homework 2's committed student notebooks match their sources (the drift check).

Grading of the hw2 solution, blank release and one-bug examples by the sandboxed pipeline is in
``tests/autograder/grading/test_hw2_examples.py`` (one run; hw2 is not also run through nbgrader
autograde in CI: hw1's test covers that path, and the two paths share ``grade_question``).
"""
import pytest

from autograder.paths import SOLUTIONS_DIR
from autograder.release.drift import check_drift

ASSIGNMENT = "hw2"
pytestmark = pytest.mark.skipif(not any((SOLUTIONS_DIR / ASSIGNMENT).glob("*.py")), reason="no hw2 sources yet")


def test_committed_student_notebooks_match_sources():
    """Would `make release ASSIGNMENT=hw2` change assignments/hw2? (It must not: commit the result.)"""
    assert check_drift(ASSIGNMENT) == [], "run `make release ASSIGNMENT=hw2` and commit assignments/hw2"
