"""The feedback page: summary first, hints only at the enabled level, no review flags, escaped text."""
from __future__ import annotations

import re

import pytest

from autograder.grading import feedback, hints
from autograder.grading.student_result import NOT_SUBMITTED, QuestionResult, StudentResult


def _result(*qs: QuestionResult, **kw) -> StudentResult:
    return StudentResult("alice", "hw1", "ci", {q.id: q for q in qs}, **kw)


FAIL = QuestionResult("q_mask", "02_made", "MADE masks", 5, 0.0, False, message="output x_1 depends on itself",
                      hint="use a strict inequality into the output layer", flags=["review: suspicious"])
PARTIAL = QuestionResult("q_nll", "02_made", "MADE NLL", 4, 3.0, False, message="NLL above the full-credit level",
                         hint="train longer")
OK = QuestionResult("q_ok", "02_made", "MaskedLinear", 3, 3.0, True, message="ok")


def test_hint_only_at_fix_level(monkeypatch):
    monkeypatch.delenv("ARKIT_HINT_LEVEL", raising=False)
    page = feedback.render(_result(FAIL, OK))
    assert "output x_1 depends on itself" in page and "strict inequality" not in page
    assert "strict inequality" in feedback.render(_result(FAIL, OK), hint_level="fix")
    monkeypatch.setenv("ARKIT_HINT_LEVEL", "fix")
    assert "strict inequality" in feedback.render(_result(FAIL, OK))
    assert "strict inequality" not in feedback.render(_result(FAIL, OK), hint_level="cause")


def test_student_text_levels():
    assert hints.student_text(FAIL, "cause") == "output x_1 depends on itself"
    assert hints.student_text(FAIL, "fix").endswith("\nHint: use a strict inequality into the output layer")


def test_review_flags_are_not_shown_to_the_student():
    page = feedback.render(_result(FAIL, OK), hint_level="fix")
    assert "suspicious" not in page and "review" not in page.lower()


def test_summary_comes_first_and_orders_what_to_fix_by_lost_points():
    page = feedback.render(_result(OK, PARTIAL, FAIL))
    assert "6 / 12" in page
    summary = page.index("What to fix first")
    assert summary < page.index("<article")
    fix = page[summary:page.index("</ol>", summary)]
    assert fix.index("MADE masks") < fix.index("MADE NLL") and "MaskedLinear" not in fix
    assert "lost 5 of 5 points" in fix and "lost 1 of 4 points" in fix


def test_not_submitted_notebook_is_one_entry():
    missing = [QuestionResult(f"w{i}", "01_warmup", f"warm-up {i}", 5, status=NOT_SUBMITTED,
                              message="notebook 01_warmup.ipynb was not submitted") for i in range(4)]
    items = hints.fix_first(_result(*missing, FAIL, OK))
    assert [it.title for it in items] == ["notebook 01_warmup", "MADE masks"]
    assert items[0].lost == 20
    more = [QuestionResult(f"p{i}", "03_pixelcnn", f"p {i}", 5, status=NOT_SUBMITTED,
                           message="notebook 03_pixelcnn.ipynb was not submitted") for i in range(2)]
    items = hints.fix_first(_result(*missing, *more, FAIL, PARTIAL, OK), limit=2)
    assert [it.title for it in items] == ["2 notebooks", "MADE masks", "MADE NLL"], "graded questions keep their places"
    assert items[0].lost == 30 and "01_warmup.ipynb, 03_pixelcnn.ipynb" in items[0].summary


def test_student_strings_are_escaped():
    evil = QuestionResult("q_x", "02_made", "<b>title</b>", 2, 0.0, False,
                          message="ValueError: <script>alert(1)</script> & \"quotes\"",
                          hint="<img src=x onerror=alert(2)>", figure_png="AAAA\" onerror=\"alert(3)")
    page = feedback.render(_result(evil, notes={"": ["extra file <evil>.py"]},
                                   cell_errors={"02_made": ["cell 3 raised <KeyError>"]}), hint_level="fix")
    assert "<script>" not in page and "<img src=x" not in page and "<evil>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;KeyError&gt;" in page
    assert "onerror=\"alert(3)" not in page, "a figure payload that is not base64 must not be embedded"


def test_page_is_self_contained_with_alt_text():
    png = "iVBORw0KGgo="  # any base64 payload
    q = QuestionResult("q_fig", "02_made", "Heatmap question", 2, 0.0, False, message="pixel (3,4) sees itself",
                       figure_png=png)
    page = feedback.render(_result(q))
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", page), "nothing may load from outside the page"
    alt = re.search(r"<img alt=\"([^\"]*)\"", page).group(1)
    assert "Heatmap question" in alt and "pixel (3,4) sees itself" in alt


def test_shorten_cuts_at_word_boundaries():
    text = "the model fails on a batch shaped (1, 12) as float and as int64 input " * 4
    short = hints.shorten(text, 60)
    assert len(short) <= 60 and short.endswith(" ...")
    assert text.startswith(short[:-4]) and text[len(short) - 4] == " ", "cut mid-word"


@pytest.fixture(scope="module")
def one_bug():
    from feedback_fixture import one_bug_result

    return one_bug_result()


@pytest.mark.parametrize("level", ["cause", "fix"])
def test_one_bug_page_renders(one_bug, level):
    page = feedback.render(one_bug, hint_level=level)
    assert "data:image/png;base64," in page and "15 / 23" in page
    assert ("Hint:" in page) == (level == "fix")


BLANK_CELL = "cell 5 (setup cell 'warmup_histogram_train') raised NotImplementedError: "


def test_blank_notebook_cascade_becomes_not_implemented():
    missing = QuestionResult("w_hist", "01_warmup", "histogram", 5, message="the notebook did not provide "
                             "warmup_hist_large: run every cell above", details={"cause": "missing",
                                                                                 "missing": ["warmup_hist_large"]})
    assert hints.explain_cascade(missing, BLANK_CELL)
    assert missing.status == "not_implemented" and missing.message.startswith("not implemented yet")
    assert "warmup_hist_large" in missing.message and "NotImplementedError: " not in missing.message
    name_error = QuestionResult("lmix_model", "04", "model", 4, message="your model raised RemoteError on "
                                "held-out mnist_gray: NameError: name 'MIX_MODEL' is not defined")
    assert hints.explain_cascade(name_error, BLANK_CELL) and name_error.status == "not_implemented"


def test_cascade_leaves_real_errors_alone():
    wrong = QuestionResult("q", "02", "q", 3, 1.0, message="NLL above the threshold")
    assert not hints.explain_cascade(wrong, BLANK_CELL)               # earned points: a real attempt
    typo = QuestionResult("q", "02", "q", 3, message="the notebook did not provide f", details={"cause": "missing"})
    assert not hints.explain_cascade(typo, "cell 4 raised ValueError: bad shape")   # not a stub above
    own = QuestionResult("q", "02", "q", 3, message="TypeError while grading: x", details={"cause": "exception"})
    assert hints.explain_cascade(own, BLANK_CELL)


@pytest.mark.parametrize("raw, clean", [("cell 5 raised NotImplementedError: ", "cell 5 raised NotImplementedError"),
                                        ("made_masks raised NotImplementedError: NotImplementedError: (D=2)",
                                         "made_masks raised NotImplementedError (D=2)"),
                                        ("cell 3 raised KeyError: 'x'", "cell 3 raised KeyError: 'x'")])
def test_clean_error(raw, clean):
    assert hints.clean_error(raw) == clean


def test_spine_marks_a_blank_notebooks_cascade_not_implemented():
    """Through grade_student.attribute_cell_errors: a locked setup cell that called the student's stub
    failed, so the question's object is missing: the student reads 'not implemented yet'."""
    from arkit.checks.result import CheckResult
    from autograder.assignments.base import Question
    from autograder.grading import grade_student, runner
    from autograder.grading.student_result import StudentResult as SR

    q = Question("w_hist", "01_warmup", 5, ("warmup_hist_large",), lambda objects, ctx: None, title="histogram")
    check = CheckResult.fail(q.id, "the notebook did not provide warmup_hist_large: run every cell above",
                             cause="missing", missing=["warmup_hist_large"])
    outcome = runner.Outcome(q, check)
    result = SR("bob", "hw1", "ci", {q.id: grade_student.question_result(outcome)})
    report = runner.NotebookReport("01_warmup", outcomes=[outcome], question_position={q.id: 7}, failed_cells=[
        runner.CellError(5, "instructor", "warmup_histogram_train", BLANK_CELL, through_student_code=True)])
    grade_student.attribute_cell_errors(result, report)
    qr = result.questions[q.id]
    assert qr.status == "not_implemented" and qr.message.startswith("not implemented yet"), qr.message


def test_grader_problems_are_not_the_students_to_fix():
    broken = QuestionResult("q_g", "02_made", "MADE shapes", 2, status="grader_error",
                            message="not graded because a locked cell of the grader's copy failed")
    assert [it.title for it in hints.fix_first(_result(broken, FAIL))] == ["MADE masks"]


def test_stubs_are_one_entry_pointing_at_the_first():
    stubs = [QuestionResult(f"s{i}", "01_warmup", f"({'abc'[i]}) part", 5, status="not_implemented",
                            message="not implemented yet (the stub still raises NotImplementedError)")
             for i in range(3)]
    items = hints.fix_first(_result(*stubs, PARTIAL))
    assert [it.title for it in items] == ["3 questions not implemented yet", "MADE NLL"]
    assert items[0].anchor == hints.anchor("s0") and "(a) part" in items[0].summary and items[0].lost == 15
    page = feedback.render(_result(*stubs))
    assert page.count("not implemented yet") == 4, "badge not repeated where the message says it (3 + summary)"


def test_fix_first_summarises_the_stated_cause():
    q = QuestionResult("q_m", "02_made", "MADE masks", 5, message="not autoregressive: output x_1 depends on itself "
                       "(D=2, order=[1, 0]). Cause: the output mask connects an output to its own degree")
    (item,) = hints.fix_first(_result(q))
    assert item.summary == "the output mask connects an output to its own degree"
