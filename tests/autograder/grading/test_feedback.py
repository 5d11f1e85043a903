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
