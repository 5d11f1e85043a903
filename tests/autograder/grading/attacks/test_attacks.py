"""Tamper-proof scoring, end to end: every attack submission is graded by ``autograder grade``
(real sandbox, two workers) in ONE run alongside an honest one. The honest one earns everything;
each attack earns at most what its honest part deserves (the attacked questions 0, the others
full) and its feedback names what was detected; a test-set memoriser is flagged for review."""
import csv
from pathlib import Path

import pytest

from conftest import by_question, read_results

from .submissions import ATTACKS, student_notebook

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent
ASSIGNMENT, SOURCE_DIR, QUESTIONS = "atk1", HERE / "source" / "atk1", str(HERE / "questions.py")  # loaded by the CLI
FULL = {"atk_hist_test": 2, "atk_joint_test": 2, "atk_img_test": 3, "atk_img_ar_test": 2, "atk_color_test": 3,
        "atk_grad_test": 2}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from autograder.grading import cli

    root = tmp_path_factory.mktemp("attacks")
    subs = root / "course"
    for student, (replace, append, _, _) in ATTACKS.items():
        (subs / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
        (subs / "submitted" / student / ASSIGNMENT / "01_models.ipynb").write_bytes(student_notebook(replace, append))
    out = root / "out"
    assert cli.main([ASSIGNMENT, str(subs), "--out", str(out), "--source-dir", str(SOURCE_DIR),
                     "--questions", QUESTIONS, "--profile", "ci", "--workers", "2"]) == 0
    return out


def test_honest_submission_earns_everything(graded):
    res = by_question(read_results(graded, "honest"))
    assert {q: t["score"] for q, t in res.items()} == FULL, {q: t["output"] for q, t in res.items()}


@pytest.mark.parametrize("student", [s for s in ATTACKS if s != "honest"])
def test_attack_earns_only_its_honest_part_and_is_named(graded, student):
    _, _, caught, review = ATTACKS[student]
    res = by_question(read_results(graded, student))
    for qid, full in FULL.items():
        if qid in caught:
            assert res[qid]["score"] == 0, (qid, res[qid]["output"])
            assert caught[qid] in res[qid]["output"], (qid, res[qid]["output"])
        else:
            assert res[qid]["score"] == full, (qid, res[qid]["output"])


def test_memoriser_is_held_for_review(graded):
    """A genuine AR model fitted on the public test split keeps its points but is flagged in grades.csv."""
    rows = {r["student"]: r for r in csv.DictReader((graded / "grades.csv").open())}
    assert "atk_img_test" in rows["memoriser"]["review"]
    assert not rows["honest"]["review"]
