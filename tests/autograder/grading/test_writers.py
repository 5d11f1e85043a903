"""Writers render a StudentResult (no grading here: results are built by hand, so this is fast).

Covers: Gradescope results.json, grades.csv (status and review columns, formula-injection
escaping with every OWASP prefix), feedback.html, and the JSON round trip.
"""
import csv
import io

import pytest

from autograder.grading import feedback, gradebook, results
from autograder.grading.student_result import QuestionResult, StudentResult


class Q:  # the two attributes the CSV writer reads from a trusted Question
    def __init__(self, id, notebook="01_basics", points=2.0):
        self.id, self.notebook, self.points = id, notebook, points


QUESTIONS = [Q("q_a"), Q("q_b", points=3.0)]


def result(student="alice", a=2.0, b=1.5, review=False) -> StudentResult:
    qa = QuestionResult("q_a", "01_basics", "square", 2.0, a, a == 2.0, message="correct")
    qb = QuestionResult("q_b", "01_basics", "mask", 3.0, b, b == 3.0, message="wrong entries for D=4",
                        details={"nats_per_dim": 0.41, "dataset": "tiny"})
    if review:
        qb.status, qb.flags = "review", ["review: held-out NLL far below the reference"]
    return StudentResult(student, "fx1", "ci", {"q_a": qa, "q_b": qb}, notes={"": ["x.ipynb: not graded"]})


def test_gradescope_dict_carries_ids_and_statuses():
    """Does results.json hold every question with its id in extra_data, and the submission notes?"""
    res = results.gradescope(result())
    assert res["score"] == 3.5 and res["max_score"] == 5.0
    assert [t["extra_data"]["question_id"] for t in res["tests"]] == ["q_a", "q_b"]
    assert [t["status"] for t in res["tests"]] == ["passed", "failed"]
    assert "x.ipynb: not graded" in res["output"]


def test_json_round_trip_is_lossless():
    r = result(review=True)
    back = StudentResult.loads(r.dumps())
    assert back.to_dict() == r.to_dict()


def test_grades_csv_has_points_status_and_review_column():
    rows = {"alice": result(), "bob": result("bob", b=3.0, review=True)}
    lines = gradebook.grades_csv(rows, QUESTIONS).splitlines()
    assert lines == ["student,score,max_score,q_a,q_b,status,review",
                     "alice,3.5,5.0,2.0,1.5,graded,", "bob,5.0,5.0,2.0,3.0,graded,q_b"]


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_grades_csv_escapes_formula_prefixes(prefix):
    """Does a student id starting with a formula character come out as text ('-prefixed),
    while the numbers stay numbers?"""
    sid = f"{prefix}C1-D1"
    text = gradebook.grades_csv({sid: result(sid)}, QUESTIONS)
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[0] == "'" + sid
    assert row[1:5] == ["3.5", "5.0", "2.0", "1.5"]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_csv_cell_leaves_safe_values_alone():
    assert gradebook.csv_cell(-1.5) == -1.5 and gradebook.csv_cell(3) == 3
    assert gradebook.csv_cell("alice") == "alice" and gradebook.csv_cell("a=b") == "a=b"
    assert gradebook.csv_cell("-1") == "'-1"  # text that only looks like a number is still text


def test_feedback_page_renders_messages_and_notes_but_not_review_flags():
    page = feedback.render(result(review=True))
    assert "3.5 / 5" in page and "wrong entries for D=4" in page and "x.ipynb: not graded" in page
    assert "held-out NLL far below the reference" not in page, "review flags are for the instructor"


def test_feedback_escapes_student_text():
    r = result()
    r.questions["q_b"].message = "<script>alert(1)</script>"
    assert "<script>" not in feedback.render(r)


def test_review_detail_becomes_a_flag_and_review_status():
    """A check's details['review'] (plausibility: too good to be true) is an instructor flag, shown in the
    CSV's review column, and the points stay what the check gave."""
    from arkit.checks.result import CheckResult
    from autograder.assignments.base import Question
    from autograder.grading.grade_student import question_result
    from autograder.grading.runner import Outcome

    q = Question("q_b", "01_basics", 3, (), lambda o, c: None, "mask")
    check = CheckResult.ok("q_b", "held-out NLL 0.01 nats/dim", review="held-out NLL far below the reference",
                           nats_per_dim=0.01)
    qr = question_result(Outcome(q, check))
    assert qr.status == "review" and qr.points == 3 and qr.flags == ["review: held-out NLL far below the reference"]
    res = result()
    res.questions["q_b"] = qr
    assert gradebook.grades_csv({"alice": res}, QUESTIONS).splitlines()[1].endswith(",graded,q_b")


@pytest.mark.parametrize("cause, status", [("not_implemented", "not_implemented"), ("exception", "error"),
                                           ("missing", "error"), ("calibration_missing", "grader_error"),
                                           (None, "graded")])
def test_status_follows_the_cause_the_check_reports(cause, status):
    from arkit.checks.result import CheckResult
    from autograder.assignments.base import Question
    from autograder.grading.grade_student import question_result
    from autograder.grading.runner import Outcome

    q = Question("q_a", "01_basics", 2, (), lambda o, c: None)
    details = {"cause": cause} if cause else {}
    assert question_result(Outcome(q, CheckResult.fail("q_a", "x", **details))).status == status
