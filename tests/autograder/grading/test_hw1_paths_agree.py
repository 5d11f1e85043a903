"""Both grading paths give every example submission the same score per question (issue 10):
``autograder grade`` (sandboxed pipeline, the shared ``hw1_graded`` run) and nbgrader autograde
of the same notebooks (the graded cells with their hidden tests). Compared question by question,
keyed by question id = nbgrader grade_id, never by display names.

The solution and the blank release are not re-graded by nbgrader here: their per-question
agreement already follows from two tests that run anyway -- full marks on every question and 0
on every question on the sandboxed path (``test_hw1_examples.py``) and on the nbgrader path
(``tests/autograder/release/test_hw1.py``). This file adds the one-bug students (one notebook
each), where partial scores can differ."""
import pytest

from autograder.examples import HW1_MUTATIONS
from autograder.release import autograde as ag

pytestmark = pytest.mark.slow

TOLERANCE = 0.01  # points
# question id -> why the paths may still disagree (none known: a graded cell's public lines cannot
# decide the points during autograde, see autograder.release.nbgrader_ext.guard_public_lines)
KNOWN_DISAGREEMENTS: dict[str, str] = {}
STUDENTS = [m.student for m in HW1_MUTATIONS]


@pytest.fixture(scope="module")
def both_paths(hw1_graded):
    root, students, rows, _ = hw1_graded
    course = root / "examples" / "course"
    nbgrader = {}
    for student in STUDENTS:
        notebooks = sorted((root / "examples" / "submitted" / student / "hw1").glob("*.ipynb"))
        ag.submit(course, "hw1", student, notebooks)
        ag.autograde(course, "hw1", student, env={"ARKIT_PROFILE": "ci"}, timeout=1500)
        nbgrader[student] = {g: s for cells in ag.read_scores(course, "hw1", student).values()
                             for g, s in cells.items()}
    return rows, nbgrader


def _disagreements(rows, nbgrader, student):
    sandboxed = rows[student].questions
    ours = nbgrader[student]
    out = {}
    for qid, q in sandboxed.items():
        if qid in ours:
            score, max_score = ours[qid]
            assert abs(max_score - q.max_points) <= TOLERANCE, (qid, max_score, q.max_points)
            if abs(score - q.points) > TOLERANCE:
                out[qid] = f"sandboxed {q.points:g} ({q.message[:160]}) vs nbgrader {score:g}"
        elif q.points > TOLERANCE:        # notebook not submitted: nbgrader gives nothing
            out[qid] = f"sandboxed {q.points:g} for a notebook nbgrader did not grade"
    missing = sorted(set(ours) - set(sandboxed))
    assert not missing, f"grade_ids nbgrader scores but the pipeline does not know: {missing}"
    return out


@pytest.mark.parametrize("student", STUDENTS)
def test_same_score_per_question_on_both_paths(both_paths, student):
    rows, nbgrader = both_paths
    differ = _disagreements(rows, nbgrader, student)
    unexpected = {q: d for q, d in differ.items() if q not in KNOWN_DISAGREEMENTS}
    assert not unexpected, unexpected
    if differ:
        pytest.xfail("; ".join(f"{q}: {KNOWN_DISAGREEMENTS[q]}" for q in differ))
