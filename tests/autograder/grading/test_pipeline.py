"""`autograder grade` and the Gradescope bundle, end to end on the fixture assignment."""
import json
import os
import subprocess
import zipfile

import pytest

from conftest import by_question, grade_cli, read_results
from fixture_assignment.build import QUESTIONS, SOURCE_DIR, student_notebook

pytestmark = pytest.mark.slow
PEEK = {"fx_model": "def ar_logits(x):\n    return (2 * x.float() - 1) * 20\n"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grade")
    course = root / "course" / "submitted"
    for student, nb in {"alice": student_notebook(), "bob": student_notebook(replace=PEEK)}.items():
        (course / student / "fx1").mkdir(parents=True)
        (course / student / "fx1" / "01_basics.ipynb").write_bytes(nb)
    out = root / "out"
    assert grade_cli(root / "course", out) == 0
    return root, out


def test_scores_csv_and_feedback(graded):
    """Does the reference earn everything, the peeking model lose only Q3, and every output exist?"""
    _, out = graded
    alice, bob = read_results(out, "alice"), read_results(out, "bob")
    assert (alice["score"], alice["max_score"]) == (8.0, 8.0)
    assert bob["score"] == 5.0 and "not autoregressive" in by_question(bob)["fx_model_test"]["output"]
    for t in alice["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
    assert (out / "grades.csv").read_text().splitlines() == [
        "student,score,max_score,fx_square_test,fx_mask_test,fx_model_test,status,review",
        "alice,8.0,8.0,2.0,3.0,3.0,graded,", "bob,5.0,8.0,2.0,3.0,0.0,graded,"]
    page = (out / "bob" / "feedback.html").read_text()
    assert "not autoregressive" in page and "5 / 8" in page


def test_gradebook_has_autoscores(graded):
    from autograder.grading.gradebook import update_gradebook  # noqa: F401 (puts alembic on PATH)
    from nbgrader.api import Gradebook

    _, out = graded
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        assert gb.find_grade("fx_model_test", "01_basics", "fx1", "bob").auto_score == 0.0
        assert gb.find_submission("fx1", "alice").score == 8.0


def test_rerun_skips_unchanged_and_regrades_changed(graded):
    """Is an unchanged submission skipped (file untouched) and a changed one regraded?"""
    root, out = graded
    before = (out / "alice" / "results.json").stat().st_mtime_ns
    (root / "course" / "submitted" / "bob" / "fx1" / "01_basics.ipynb").write_bytes(student_notebook())
    assert grade_cli(root / "course", out) == 0
    assert (out / "alice" / "results.json").stat().st_mtime_ns == before
    assert read_results(out, "bob")["score"] == 8.0


def test_gradescope_zip_runs_from_a_clean_unpack(tmp_path):
    """Does the unpacked bundle grade a submission with its own code, writing results.json?"""
    from autograder.grading import gradescope

    zpath = gradescope.build("fx1", tmp_path / "fx1.zip", SOURCE_DIR, QUESTIONS)
    src = tmp_path / "src"
    with zipfile.ZipFile(zpath) as zf:
        zf.extractall(src)
        names = zf.namelist()
    assert {"setup.sh", "run_autograder", "solutions/fx1/01_basics.py", "autograder/grading/gs_run.py"} <= set(names)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "whatever.ipynb").write_bytes(student_notebook(replace=PEEK))
    env = {**os.environ, "ARGRADE_SOURCE": str(src), "ARGRADE_SUBMISSION": str(tmp_path / "sub"),
           "ARGRADE_RESULTS": str(tmp_path / "res" / "results.json"), "ARGRADE_PYTHON": os.sys.executable,
           "ARKIT_PROFILE": "ci"}
    proc = subprocess.run(["bash", str(src / "run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads((tmp_path / "res" / "results.json").read_text())
    assert res["score"] == 5.0 and len(res["tests"]) == 3
    assert res["extra_data"]["sandbox"]["limitations"] is not None


def test_a_worker_death_is_not_cached(tmp_path):
    """Is a student whose grading worker died graded again by the next run (not kept until --force)?"""
    from autograder.grading import pipeline
    from autograder.grading.student_result import StudentResult

    class Spec:
        def empty_result(self, student):
            return StudentResult(student=student, assignment="fx1", profile="ci")

    class Sub:
        student = "erin"

    res = pipeline._failed(Spec(), Sub(), "k" * 64, RuntimeError("worker died"))
    (tmp_path / "result.json").write_text(res.dumps())
    assert res.status == "failed" and "worker died" in res.output
    assert pipeline._cached(tmp_path, "k" * 64) is None
