"""The grading spine on the fixture assignment: one code path for local and Gradescope grading,
progress without a terminal, one-line errors for bad input, and whose problem a failed cell is."""
import shutil

import pytest

from conftest import grade_cli, read_student
from fixture_assignment.build import QUESTIONS, SOURCE_DIR, student_notebook

pytestmark = pytest.mark.slow


def _spec(source_dir=SOURCE_DIR):
    from autograder.grading import pipeline

    cfg = pipeline.Config("fx1", source_dir, source_dir.parent / "_out_unused", source_dir, "ci",
                          limits=pipeline.PROFILE_LIMITS["ci"], questions_module=str(QUESTIONS))
    return pipeline.spec_from_config(cfg)


def _sub(student, nb):
    from autograder.grading.inputs import Submission

    return Submission(student, {"01_basics": nb})


def _comparable(res):
    """A StudentResult without what legitimately differs between runs (times)."""
    d = res.to_dict()
    d.pop("execution_time_s"), d.pop("key"), d.pop("student")
    for q in d["questions"]:
        q.pop("elapsed_s")
        q["details"].pop("grading_time_s", None)
    return d


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """alice (reference) and carol (a broken mask) graded by `autograder grade` (stderr captured: not a
    terminal, so progress comes as lines)."""
    import contextlib
    import io

    root = tmp_path_factory.mktemp("spine")
    subs = root / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_bytes(student_notebook())
    (subs / "carol.ipynb").write_bytes(student_notebook(
        replace={"fx_mask": "def causal_mask(D):\n    import torch\n    return torch.ones(D, D)\n"}))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert grade_cli(subs, root / "out", "--no-gradebook") == 0
    return root, subs, root / "out", err.getvalue()


def test_non_tty_run_prints_one_line_per_student_and_a_summary(local):
    err = local[3]
    lines = [ln for ln in err.splitlines() if ln.startswith("[")]
    assert len(lines) == 2, err
    assert any("alice 8/8 points" in ln and ln.endswith(" s") for ln in lines), lines
    assert any("carol 5/8 points" in ln for ln in lines), lines
    assert "graded 2, failed 0, skipped 0" in err and "slowest: " in err


def test_gradescope_and_local_give_identical_results(local, tmp_path):
    """Does gs_run (the Gradescope entry point) produce the same StudentResult as the class loop,
    apart from times, and the same points in its results.json?"""
    import json

    from autograder.grading import gs_run
    from autograder.grading.student_result import StudentResult

    root, subs, out, _ = local
    for student in ("alice", "carol"):
        sub = tmp_path / student
        sub.mkdir()
        shutil.copy(subs / f"{student}.ipynb", sub / "whatever.ipynb")
        res_path, typed = tmp_path / f"{student}_results.json", tmp_path / f"{student}_result.json"
        assert gs_run.main(["--assignment", "fx1", "--source-dir", str(SOURCE_DIR), "--submission", str(sub),
                            "--results", str(res_path), "--questions", str(QUESTIONS), "--profile", "ci",
                            "--student", student, "--student-result", str(typed)]) == 0
        mine = read_student(out, student)
        assert _comparable(StudentResult.loads(typed.read_text())) == _comparable(mine)
        gs = json.loads(res_path.read_text())
        assert {t["extra_data"]["question_id"]: t["score"] for t in gs["tests"]} == \
            {q.id: q.points for q in mine.questions.values()}


def test_rerun_skips_and_says_so(local, capfd):
    root, subs, out, _ = local
    assert grade_cli(subs, out, "--no-gradebook", "--progress", "lines") == 0
    assert "graded 0, failed 0, skipped 2 (unchanged)" in capfd.readouterr().err


@pytest.mark.parametrize("case", ["txt", "missing", "empty", "unknown_assignment", "bad_map", "out_is_a_file"])
def test_bad_input_exits_nonzero_with_one_line(case, local, tmp_path, capfd):
    from autograder.grading import cli

    txt = tmp_path / "names.txt"
    txt.write_text("alice\n")
    (tmp_path / "empty").mkdir()
    argv = {"txt": ["fx1", str(txt)], "missing": ["fx1", str(tmp_path / "nope")],
            "empty": ["fx1", str(tmp_path / "empty")], "bad_map": ["fx1", str(tmp_path / "empty"), "--map", "x"],
            "unknown_assignment": ["hw_unknown", str(tmp_path / "empty")],
            "out_is_a_file": ["fx1", str(local[1]), "--out", str(txt), "--no-gradebook", "--skip-preflight"]}[case]
    extra = [] if case == "unknown_assignment" else ["--source-dir", str(SOURCE_DIR), "--questions", str(QUESTIONS)]
    rc = cli.main(argv + extra + ([] if "--out" in argv else ["--out", str(tmp_path / "out")]))
    err = capfd.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    expected = {"txt": "is not a zip file", "missing": "does not exist", "empty": "no submissions found in",
                "unknown_assignment": "unknown assignment 'hw_unknown'", "bad_map": "FILE=NOTEBOOK",
                "out_is_a_file": "cannot write the results to"}[case]
    assert expected in err, err


def test_second_run_on_a_locked_output_folder_is_refused(local, tmp_path, capfd):
    from autograder.grading.lifetime import OutputLock

    root, subs, _, _ = local
    out = tmp_path / "locked"
    with OutputLock(out):
        rc = grade_cli(subs, out, "--no-gradebook")
    err = capfd.readouterr().err
    assert rc == 2 and f"another grading run is writing to {out} (pid " in err


def test_ctrl_c_keeps_partial_results_and_exits_130(local, tmp_path, monkeypatch, capfd):
    from autograder.grading import pipeline

    root, subs, _, _ = local

    def interrupted(cfg, progress=None, subs=None):
        raise pipeline.Interrupted({"alice": None})

    monkeypatch.setattr(pipeline, "run", interrupted)
    rc = grade_cli(subs, tmp_path / "out", "--no-gradebook")
    err = capfd.readouterr().err
    assert rc == 130 and "interrupted; 1 student(s) saved" in err and "Traceback" not in err


def test_failed_locked_cell_is_the_graders_problem(tmp_path):
    """A locked cell that fails (here: the data of a trained model is missing) makes the questions
    it breaks grader_errors quoting the cell's error, never 'the notebook did not provide ...';
    questions it does not break keep their points."""
    from autograder.grading.grade_student import grade_student

    src = tmp_path / "src"
    shutil.copytree(SOURCE_DIR, src)
    path = src / "01_basics.py"
    anchor = 'expose("ar_logits", ar_logits'
    text = path.read_text()
    assert anchor in text
    path.write_text(text.replace(anchor, "raise FileNotFoundError('mnist.npz not found in ARKIT_DATA_DIR')\n"
                                 + anchor, 1))
    res = grade_student(_sub("alice", student_notebook()), _spec(src))
    q = res.questions["fx_model_test"]
    assert q.status == "grader_error" and q.points == 0
    assert "not your fault" in q.message and "mnist.npz not found" in q.message and "did not provide" not in q.message
    assert res.questions["fx_square_test"].passed and res.questions["fx_mask_test"].passed


def test_failed_student_cell_is_quoted_where_an_object_is_missing():
    """A solution cell that raises leaves causal_mask undefined: the question quotes that error."""
    from autograder.grading.grade_student import grade_student

    broken = "import torch\nraise ValueError('oops in my helper')\ndef causal_mask(D):\n    return None\n"
    res = grade_student(_sub("dave", student_notebook(replace={"fx_mask": broken})), _spec())
    q = res.questions["fx_mask_test"]
    assert q.status == "error" and "oops in my helper" in q.message and "did not provide" not in q.message
    assert res.questions["fx_square_test"].passed and res.questions["fx_model_test"].passed


def test_locked_cell_failing_inside_student_code_is_the_students_problem(tmp_path):
    """A locked cell that calls the student's function, which raises, is not the grader's problem."""
    from autograder.grading.grade_student import grade_student

    src = tmp_path / "src"
    shutil.copytree(SOURCE_DIR, src)
    path = src / "01_basics.py"
    anchor = 'expose("ar_logits", ar_logits'
    path.write_text(path.read_text().replace(anchor, "ar_logits(torch.zeros(2, 6, dtype=torch.long))\n" + anchor, 1))
    broken = "def ar_logits(x):\n    raise ValueError('bad shapes in my model')\n"
    res = grade_student(_sub("erin", student_notebook(replace={"fx_model": broken})), _spec(src))
    q = res.questions["fx_model_test"]
    assert q.status == "error" and "bad shapes in my model" in q.message and "not your fault" not in q.message


def test_cpu_time_limit_is_named_and_wall_time_is_only_an_outer_bound():
    """A cell that computes past its CPU budget is stopped and the feedback names the CPU-time limit
    (not the wall clock, which stays a generous bound); the other questions keep their points."""
    import dataclasses

    from autograder.grading.grade_student import grade_student

    spec = _spec()
    spec = dataclasses.replace(spec, limits=dataclasses.replace(spec.limits, cell_cpu_s=2, threads=1,
                                                                cell_timeout_s=600))
    busy = "def square(x):\n    return x * x\nwhile True:\n    pass\n"
    res = grade_student(_sub("fay", student_notebook(replace={"fx_square": busy})), spec)
    errors = " ".join(res.cell_errors.get("01_basics", []))
    assert "CPU time" in errors and "CPU-time limit is 2 s" in errors and "wall-clock" not in errors, errors
    assert res.questions["fx_mask_test"].passed and res.questions["fx_model_test"].passed


def test_map_reaches_intake_and_the_class_loop(local, tmp_path, monkeypatch, capfd):
    """--map FILE=NOTEBOOK is parsed once and handed to intake (checked before grading) and to the run."""
    from autograder.grading import pipeline

    root, subs, _, _ = local
    seen = {}

    def fake_run(cfg, progress=None, subs=None):
        seen["mapping"] = cfg.mapping
        return {}

    monkeypatch.setattr(pipeline, "run", fake_run)
    assert grade_cli(subs, tmp_path / "out", "--no-gradebook", "--map", "alice.ipynb=01_basics") == 0
    assert seen["mapping"] == {"alice.ipynb": "01_basics"}
    capfd.readouterr()
    rc = grade_cli(subs, tmp_path / "out", "--no-gradebook", "--map", "alice.ipynb=99_nope")
    err = capfd.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "99_nope" in err[0], err


def test_failing_added_cell_does_not_hide_the_graders_problem(tmp_path):
    """A harmless failing cell the student added at the top (a Colab-only import) neither takes the blame
    for a later locked cell's missing data nor turns the grader's problem into the student's."""
    from autograder.grading.grade_student import grade_student

    src = tmp_path / "src"
    shutil.copytree(SOURCE_DIR, src)
    path = src / "01_basics.py"
    anchor = 'expose("ar_logits", ar_logits'
    path.write_text(path.read_text().replace(anchor, "raise FileNotFoundError('shapes.npz missing')\n" + anchor, 1))
    nb = student_notebook()
    import nbformat

    parsed = nbformat.reads(nb.decode(), as_version=4)
    parsed.cells.insert(0, nbformat.v4.new_code_cell("import google.colab  # only on Colab"))
    res = grade_student(_sub("gil", nbformat.writes(parsed).encode()), _spec(src))
    q = res.questions["fx_model_test"]
    assert q.status == "grader_error" and "shapes.npz missing" in q.message and "google" not in q.message
