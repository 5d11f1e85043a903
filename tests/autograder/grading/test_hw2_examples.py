"""The sandboxed pipeline on homework 2: the solution earns full marks, the blank release nothing,
and one-bug examples (``autograder.assignments.hw2.mutations()``) fail the question their bug
breaks, with a message naming the cause.

Cost: each example re-runs a whole notebook (training included) in a sandbox. ``make test`` grades
the first example of every notebook (:data:`GRADED`); ``ARKIT_ALL_EXAMPLES=1`` grades all of them,
as ``make demo ASSIGNMENT=hw2`` does. Every example, graded here or not, is also checked at the
question level (fast, no notebook run) by ``tests/autograder/assignments/test_hw2_*.py``.
"""
import json
import os

import pytest

from autograder.examples import mutations_for
from autograder.paths import SOLUTIONS_DIR

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not any((SOLUTIONS_DIR / "hw2").glob("*.py")), reason="no hw2 sources yet")]

MUTATIONS = mutations_for("hw2")


def _graded_examples(mutations):
    """All examples with ``ARKIT_ALL_EXAMPLES=1``; otherwise the first of each notebook."""
    if os.environ.get("ARKIT_ALL_EXAMPLES") == "1":
        return tuple(mutations)
    first = {}
    for m in mutations:
        first.setdefault(m.notebook, m)
    return tuple(first.values())


GRADED = _graded_examples(MUTATIONS)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """All hw2 example submissions graded once by the sandboxed pipeline under ``ci``."""
    from autograder.examples import build_examples
    from autograder.grading import cli as grade_cli
    from autograder.grading import pipeline

    root = tmp_path_factory.mktemp("hw2_examples")
    students = build_examples("hw2", root / "examples", mutations=GRADED)
    out = root / "grades"
    args = grade_cli.parser().parse_args(["hw2", str(root / "examples"), "--out", str(out), "--workers", "2",
                                          "--profile", "ci", "--source-dir", str(SOLUTIONS_DIR / "hw2")])
    rows = pipeline.run(grade_cli.config_from_args(args))
    return students, rows, out


def test_solution_full_marks_blank_zero(graded):
    """Does the solution earn every point of hw2 (100) and the blank release none, nothing crashing?"""
    _, rows, out = graded
    sol, blank = rows["solution"], rows["blank"]
    lost = {k: q.message for k, q in sol.questions.items() if q.points < q.max_points}
    assert not lost, f"solution lost points: {lost}"
    assert sol.max_score >= 100
    assert blank.score == 0, {k: q.points for k, q in blank.questions.items() if q.points}
    errors = {k: q.message for k, q in blank.questions.items() if q.status == "grader_error"}
    assert not errors, f"grader errors on the blank release: {errors}"
    assert (out / "solution" / "feedback.html").exists()
    assert json.loads((out / "blank" / "results.json").read_text())["score"] == 0


def test_every_notebook_has_two_one_bug_examples():
    """Does each hw2 notebook come with at least two one-bug example submissions?"""
    per_notebook = {}
    for m in MUTATIONS:
        per_notebook[m.notebook] = per_notebook.get(m.notebook, 0) + 1
    sources = {p.stem for p in (SOLUTIONS_DIR / "hw2").glob("*.py")}
    assert sources and all(per_notebook.get(nb, 0) >= 2 for nb in sources), per_notebook


@pytest.mark.parametrize("mutation", GRADED, ids=lambda m: m.student)
def test_one_bug_students_lose_the_right_points(graded, mutation):
    """Does each one-bug submission fail the question its bug breaks (message naming the cause) and
    keep the points of that notebook's other questions?"""
    _, rows, _ = graded
    res = rows[mutation.student].questions
    assert mutation.expect, f"{mutation.student}: Mutation.expect must name the question and a word"
    qid, word = mutation.expect
    assert res[qid].points < res[qid].max_points, res[qid].message
    assert word in res[qid].message.lower(), res[qid].message
    others = [q for q in res.values() if q.notebook != mutation.notebook]
    assert all(q.points == 0 and q.status == "not_submitted" for q in others)
    mine = [q for q in res.values() if q.notebook == mutation.notebook]
    earned = sum(q.points for q in mine)
    assert 0 < earned < sum(q.max_points for q in mine)
