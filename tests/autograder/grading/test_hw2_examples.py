"""The sandboxed pipeline on homework 2: the solution earns full marks, the blank release nothing,
and one-bug examples (``autograder.assignments.hw2.mutations()``) fail the question their bug
breaks, with a message naming the cause.

Cost: every example re-runs a whole notebook (training included) in a sandbox. ``make test``
grades the solution split into one submission per notebook (``solution_<notebook>``: the four
notebooks run in parallel instead of one after another in one sandbox, and together they must
earn all 100 points) and the blank release. ``ARKIT_ALL_EXAMPLES=1`` also grades every one-bug
example, as ``make demo ASSIGNMENT=hw2`` does. Every one-bug example is checked at the question
level (fast, no notebook run) by ``tests/autograder/assignments/test_hw2_*.py``.
"""
import json
import os
import shutil

import pytest

from autograder.examples import mutations_for
from autograder.paths import SOLUTIONS_DIR

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not any((SOLUTIONS_DIR / "hw2").glob("*.py")), reason="no hw2 sources yet")]

MUTATIONS = mutations_for("hw2")
GRADED = MUTATIONS if os.environ.get("ARKIT_ALL_EXAMPLES") == "1" else ()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The hw2 examples graded once by the sandboxed pipeline under ``ci``, 2 workers."""
    from autograder.examples import build_examples
    from autograder.grading import cli as grade_cli
    from autograder.grading import pipeline

    root = tmp_path_factory.mktemp("hw2_examples")
    students = build_examples("hw2", root / "examples", mutations=GRADED)
    submitted = root / "examples" / "submitted"
    for nb in sorted((submitted / "solution" / "hw2").glob("*.ipynb")):
        target = submitted / f"solution_{nb.stem}" / "hw2"
        target.mkdir(parents=True)
        shutil.copy(nb, target / nb.name)
    shutil.rmtree(submitted / "solution")
    out = root / "grades"
    args = grade_cli.parser().parse_args(["hw2", str(root / "examples"), "--out", str(out), "--workers", "2",
                                          "--profile", "ci", "--source-dir", str(SOLUTIONS_DIR / "hw2")])
    rows = pipeline.run(grade_cli.config_from_args(args))
    return students, rows, out


def test_solution_full_marks_blank_zero(graded):
    """Does each solution notebook earn all its points (100 together) and the blank release none,
    with no grader error?"""
    _, rows, out = graded
    parts = {s: r for s, r in rows.items() if s.startswith("solution_")}
    assert len(parts) == len(list((SOLUTIONS_DIR / "hw2").glob("*.py")))
    earned, lost = 0.0, {}
    for student, res in parts.items():
        notebook = student.removeprefix("solution_")
        for qid, q in res.questions.items():
            if q.notebook == notebook:
                earned += q.points
                if q.points < q.max_points:
                    lost[qid] = q.message
            else:
                assert q.status == "not_submitted", (student, qid, q.status)
    assert not lost, f"solution lost points: {lost}"
    assert earned >= 100
    blank = rows["blank"]
    assert blank.score == 0, {k: q.points for k, q in blank.questions.items() if q.points}
    errors = {k: q.message for k, q in blank.questions.items() if q.status == "grader_error"}
    assert not errors, f"grader errors on the blank release: {errors}"
    assert (out / "solution_02_wavenet" / "feedback.html").exists()
    assert json.loads((out / "blank" / "results.json").read_text())["score"] == 0


def test_every_notebook_has_two_one_bug_examples():
    """Does each hw2 notebook come with at least two one-bug example submissions, each naming the
    question it must fail and a word of the message?"""
    per_notebook = {}
    for m in MUTATIONS:
        assert m.expect, f"{m.student}: Mutation.expect must name the question and a word"
        per_notebook[m.notebook] = per_notebook.get(m.notebook, 0) + 1
    sources = {p.stem for p in (SOLUTIONS_DIR / "hw2").glob("*.py")}
    assert sources and all(per_notebook.get(nb, 0) >= 2 for nb in sources), per_notebook


@pytest.mark.parametrize("mutation", GRADED, ids=lambda m: m.student)
def test_one_bug_students_lose_the_right_points(graded, mutation):
    """(ARKIT_ALL_EXAMPLES=1) Does each one-bug submission fail the question its bug breaks (message
    naming the cause) and keep some points of its notebook?"""
    _, rows, _ = graded
    res = rows[mutation.student].questions
    qid, word = mutation.expect
    assert res[qid].points < res[qid].max_points, res[qid].message
    assert word in res[qid].message.lower(), res[qid].message
    others = [q for q in res.values() if q.notebook != mutation.notebook]
    assert all(q.points == 0 and q.status == "not_submitted" for q in others)
    mine = [q for q in res.values() if q.notebook == mutation.notebook]
    earned = sum(q.points for q in mine)
    assert 0 < earned < sum(q.max_points for q in mine)
