"""The sandboxed pipeline on the real homework: the bundled example submissions
(solution, blank release, three one-bug students) get the scores they deserve."""
import json

import pytest

from autograder.examples import HW1_MUTATIONS

pytestmark = pytest.mark.slow

# question that must fail for each one-bug student, and a word its message must contain
EXPECTED_FAILURES = {
    "made_self_dependence": ("made_masks_test", "depends on"),
    "pixelcnn_centre_on": ("pixelcnn_mask_test", "centre"),
    "lmix_no_tanh": ("lmix_log_prob_test", "tanh"),
}


@pytest.fixture(scope="module")
def graded(hw1_graded):
    """Shared with test_hw1_paths_agree.py (one sandboxed run per session, see conftest.py)."""
    _, students, rows, out = hw1_graded
    return students, rows, out


def test_solution_full_marks_blank_zero(graded):
    """Does the pipeline agree with nbgrader: the solution earns everything, the stubs nothing?"""
    _, rows, out = graded
    sol, blank = rows["solution"], rows["blank"]
    lost = {k: q.message for k, q in sol.questions.items() if q.points < q.max_points}
    assert not lost, f"solution lost points: {lost}"
    assert sol.max_score >= 100
    assert blank.score == 0, {k: q.points for k, q in blank.questions.items() if q.points}
    assert (out / "solution" / "feedback.html").exists() and (out / "grades.csv").exists()
    assert json.loads((out / "blank" / "results.json").read_text())["score"] == 0


@pytest.mark.parametrize("mutation", HW1_MUTATIONS, ids=lambda m: m.student)
def test_one_bug_students_lose_the_right_points(graded, mutation):
    """Does each one-bug submission fail the question its bug breaks, with a message naming it,
    and earn nothing for the notebooks it did not submit?"""
    _, rows, _ = graded
    res = rows[mutation.student].questions
    qid, word = EXPECTED_FAILURES[mutation.student]
    assert res[qid].points < res[qid].max_points
    assert word in res[qid].message.lower(), res[qid].message
    others = [q for q in res.values() if q.notebook != mutation.notebook]
    assert others and all(q.points == 0 and q.status == "not_submitted" for q in others)
    earned = sum(q.points for q in res.values())
    assert 0 < earned < sum(q.max_points for q in res.values() if q.notebook == mutation.notebook)
