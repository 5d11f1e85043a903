"""Preflight: an instructor-side problem stops the run before anyone is graded, in one message.
(Fast: nothing is graded; data loads are faked where they would be slow.)"""
import json

import pytest

from autograder.assignments.base import Question
from autograder.assignments.spec import ParamFnSpec
from autograder.grading.grade_student import GradeSpec, SandboxSpec
from autograder.grading.preflight import preflight
from conftest import grade_cli  # at import time: later, "conftest" may name another folder's conftest
from fixture_assignment.build import SOURCE_DIR


def _q(qid, **kw):
    return Question(qid, "01_basics", 1, (), lambda o, c: None, **kw)


def _spec(questions, profile="ci", source_dir=SOURCE_DIR, hide=()):
    return GradeSpec("fxpre", source_dir, tuple(questions), profile, sandbox=SandboxSpec(tuple(hide)))


@pytest.fixture
def calibration(monkeypatch, tmp_path):
    cal = {"assignment": "fxpre", "questions": {"q_model": {"tiny": {"ci": {"threshold": 0.5, "loose_bound": 0.7}}}}}
    (tmp_path / "fxpre.json").write_text(json.dumps(cal))
    monkeypatch.setenv("ARKIT_CALIBRATION_DIR", str(tmp_path))
    loaded = []
    monkeypatch.setattr("autograder.heldout.load_heldout", lambda name, *a, **k: loaded.append(name))
    return loaded


def test_all_good_is_silent_and_loads_each_needed_dataset(calibration):
    assert preflight(_spec([_q("q_model")])) == [] and calibration == ["tiny"]


def test_missing_threshold_for_the_profile_is_named(calibration):
    problems = preflight(_spec([_q("q_model")], profile="cpu"))
    assert len(problems) == 1 and "no threshold for q_model on tiny under the cpu profile" in problems[0]
    assert "autograder calibrate fxpre --profile cpu" in problems[0]


def test_declared_param_fn_dataset_without_threshold_is_named(calibration):
    q = _q("q_new", param_fns=(ParamFnSpec("new_params", "tiny2", "bernoulli", (1, 2, 2)),))
    problems = preflight(_spec([q]))
    assert any("no threshold for q_new on tiny2" in p for p in problems), problems


def test_unreachable_data_is_one_clear_message(monkeypatch, calibration):
    from arkit.data.errors import DataNotFoundError

    def missing(name, *a, **k):
        raise DataNotFoundError(f"{name}: t10k-images-idx3-ubyte not found in /nowhere (set ARKIT_DATA_DIR)")

    monkeypatch.setattr("autograder.heldout.load_heldout", missing)
    problems = preflight(_spec([_q("q_model")]))
    assert len(problems) == 1 and "dataset tiny is not available to the grader (DataNotFoundError" in problems[0]


def test_data_folder_hidden_from_the_sandbox_is_named(monkeypatch, calibration, tmp_path):
    data = tmp_path / "subs" / "data"
    data.mkdir(parents=True)
    monkeypatch.setenv("ARKIT_DATA_DIR", str(data))
    problems = preflight(_spec([_q("q_model")], hide=[str(tmp_path / "subs")]))
    assert len(problems) == 1 and "is hidden from the sandbox" in problems[0]


def test_broken_or_missing_instructor_sources(calibration, tmp_path):
    assert "no instructor sources" in preflight(_spec([_q("q_model")], source_dir=tmp_path / "none"))[0]
    src = tmp_path / "src"
    src.mkdir()
    (src / "02_other.py").write_text("# %% [markdown]\n# hi\n")
    problems = preflight(_spec([_q("q_model")], source_dir=src))
    assert any("questions of notebook(s) 01_basics have no instructor source" in p for p in problems), problems


def test_cli_stops_before_grading_with_one_line(monkeypatch, calibration, tmp_path, capfd):
    """`autograder grade` with a preflight problem: exit 2, one line, nobody graded (no output folder rows)."""
    from fixture_assignment.build import student_notebook

    import autograder.grading.preflight as pre

    monkeypatch.setattr(pre, "preflight", lambda spec, **k: ["dataset mnist_binary is not available", "x"])
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_bytes(student_notebook())
    rc = grade_cli(subs, tmp_path / "out")
    err = capfd.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "preflight: dataset mnist_binary is not available" in err
    assert "(and 1 more problem(s))" in err and "nobody was graded" in err
    assert not (tmp_path / "out" / "alice").exists()
