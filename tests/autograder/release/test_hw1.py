"""The real homework: committed student notebooks match their sources, and
nbgrader autograde gives the solution full marks and the blank release zero."""
import os

import pytest

from autograder.paths import SOLUTIONS_DIR, solution_sources
from autograder.release import autograde as ag
from autograder.release.course import build_course
from autograder.release.drift import check_drift

ASSIGNMENT = "hw1"
pytestmark = pytest.mark.skipif(not (SOLUTIONS_DIR / ASSIGNMENT).exists(), reason="no hw1 sources yet")


def test_committed_student_notebooks_match_sources():
    """Would `make release` change assignments/hw1? (It must not: commit the regenerated notebooks.)"""
    assert check_drift(ASSIGNMENT) == [], "run `make release` and commit assignments/hw1"


@pytest.mark.slow
def test_solution_scores_full_marks_and_blank_scores_zero(tmp_path):
    """Under the ci profile, does every graded cell give the solution full points and the stubs none,
    with no "cell has changed" warning for these untouched notebooks?"""
    course = tmp_path / "course"
    released = build_course(ASSIGNMENT, course)
    ag.submit(course, ASSIGNMENT, "solution", sorted((course / "source" / ASSIGNMENT).glob("*.ipynb")))
    ag.submit(course, ASSIGNMENT, "blank", sorted(released.glob("*.ipynb")))
    env = {"ARKIT_PROFILE": "ci"}
    report = {}
    for student in ("solution", "blank"):
        proc = ag.autograde(course, ASSIGNMENT, student, env=env, timeout=1500)
        changed = [line for line in (proc.stdout + proc.stderr).splitlines() if "has changed!" in line]
        assert not changed, f"untouched {student} notebooks reported as modified: {changed[:3]}"
        report[student] = ag.read_scores(course, ASSIGNMENT, student)
    sol, blank = report["solution"], report["blank"]
    assert set(sol) == {p.stem for p in solution_sources(ASSIGNMENT)}
    not_full = {(nb, g): s for nb, cells in sol.items() for g, s in cells.items() if s[0] != s[1]}
    assert not not_full, f"solution lost points: {not_full}"
    not_zero = {(nb, g): s for nb, cells in blank.items() for g, s in cells.items() if s[0] != 0}
    assert not not_zero, f"blank release earned points: {not_zero}"
    total = sum(s[1] for cells in sol.values() for s in cells.values())
    assert total >= 100, f"hw1 should be worth at least 100 points, got {total}"
